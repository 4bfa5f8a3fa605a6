using System.Text.Json;

namespace HeadAtlas.Models.Weights;

/// <summary>
/// The weights of a Hugging Face folder: <c>model.safetensors</c>, or the shards listed in
/// <c>model.safetensors.index.json</c> ({"weight_map": {tensor: shard file}}). Tensors are looked up by name and
/// read as fp32 with their shape checked; matrices can stay in their stored type (<see cref="Matrix"/>).
/// </summary>
public sealed class WeightStore : IDisposable
{
    public const string SingleFile = "model.safetensors";
    public const string IndexFile = "model.safetensors.index.json";

    private readonly List<SafeTensorsFile> _files;
    private readonly Dictionary<string, SafeTensorsFile> _byTensor;

    private WeightStore(List<SafeTensorsFile> files, Dictionary<string, SafeTensorsFile> byTensor)
    {
        _files = files;
        _byTensor = byTensor;
    }

    public IEnumerable<string> Names => _byTensor.Keys;

    /// <summary>The type most matrices are stored in (what the weights cost in memory).</summary>
    public SafeTensorDType MainDType => _byTensor.Select(kv => kv.Value.Tensors[kv.Key]).GroupBy(t => t.DType).OrderByDescending(g => g.Sum(t => t.End - t.Begin)).First().Key;

    public static WeightStore OpenFolder(string folder)
    {
        string single = Path.Combine(folder, SingleFile), index = Path.Combine(folder, IndexFile);
        if (File.Exists(single)) return FromFiles([SafeTensorsFile.Open(single)]);
        if (File.Exists(index)) return FromIndex(folder, index);
        throw new ModelException($"{folder}: no weights: expected {SingleFile} or {IndexFile} with its shards");
    }

    public static WeightStore FromFiles(List<SafeTensorsFile> files)
    {
        var byTensor = new Dictionary<string, SafeTensorsFile>(StringComparer.Ordinal);
        foreach (var f in files)
            foreach (var name in f.Tensors.Keys)
                if (!byTensor.TryAdd(name, f))
                    throw new ModelException($"tensor '{name}' is in both {byTensor[name].Path} and {f.Path}");
        return new WeightStore(files, byTensor);
    }

    private static WeightStore FromIndex(string folder, string indexPath)
    {
        var shardOf = new Dictionary<string, string>(StringComparer.Ordinal); // tensor → shard file name
        try
        {
            using var doc = StrictJson.Parse(File.ReadAllBytes(indexPath), indexPath);
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
                throw new ModelException($"{indexPath}: field 'weight_map' is missing or not an object");
            foreach (var p in map.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.String)
                    throw new ModelException($"{indexPath}: weight_map entry '{p.Name}' is not a file name");
                string shard = p.Value.GetString()!;
                // Shards sit beside the index: a path elsewhere is refused rather than followed.
                if (shard.Length == 0 || shard != Path.GetFileName(shard) || shard is "." or "..")
                    throw new ModelException($"{indexPath}: weight_map entry '{p.Name}' names '{shard}', which is not a file name in this folder");
                shardOf[p.Name] = shard;
            }
        }
        catch (JsonException e)
        {
            throw new ModelException($"{indexPath}: not valid JSON ({e.Message})", e);
        }
        if (shardOf.Count == 0) throw new ModelException($"{indexPath}: weight_map lists no tensors");

        var files = new List<SafeTensorsFile>();
        var byName = new Dictionary<string, SafeTensorsFile>(StringComparer.Ordinal);
        try
        {
            foreach (string shard in shardOf.Values.Distinct().Order(StringComparer.Ordinal))
            {
                string path = Path.Combine(folder, shard);
                if (!File.Exists(path)) throw new ModelException($"{indexPath}: shard '{shard}' is missing from {folder}");
                var file = SafeTensorsFile.Open(path);
                files.Add(file);
                byName[shard] = file;
            }
            var byTensor = new Dictionary<string, SafeTensorsFile>(StringComparer.Ordinal);
            foreach (var (tensor, shard) in shardOf)
            {
                var file = byName[shard];
                if (!file.Tensors.ContainsKey(tensor))
                    throw new ModelException($"{indexPath}: tensor '{tensor}' is mapped to '{shard}', which does not hold it");
                byTensor[tensor] = file;
            }
            return new WeightStore(files, byTensor);
        }
        catch
        {
            foreach (var f in files) f.Dispose();
            throw;
        }
    }

    public bool Contains(string name) => _byTensor.ContainsKey(name);

    public SafeTensorInfo Info(string name) =>
        _byTensor.TryGetValue(name, out var f) ? f.Tensors[name] : throw new ModelException($"weights have no tensor '{name}'");

    /// <summary>A whole tensor as fp32, after checking it has <paramref name="shape"/>.</summary>
    public float[] ReadF32(string name, params long[] shape)
    {
        var (file, t) = Checked(name, shape);
        var result = new float[t.Count];
        file.CopyToF32(t, result);
        return result;
    }

    /// <summary>A matrix [rows, cols] left in its stored type, read on use.</summary>
    public WeightMatrix Matrix(string name, int rows, int cols)
    {
        var (file, t) = Checked(name, [rows, cols]);
        return new WeightMatrix(file, t, rows, cols);
    }

    private (SafeTensorsFile File, SafeTensorInfo Tensor) Checked(string name, long[] shape)
    {
        if (!_byTensor.TryGetValue(name, out var file))
            throw new ModelException($"weights have no tensor '{name}' (looked in {string.Join(", ", _files.Select(f => Path.GetFileName(f.Path)))})");
        var t = file.Tensors[name];
        if (!t.Shape.AsSpan().SequenceEqual(shape))
            throw new ModelException($"{file.Path}: tensor '{name}' has shape {t.ShapeText}, expected [{string.Join(", ", shape)}] from config.json");
        if (!t.DType.IsFloatWeight())
            throw new ModelException($"{file.Path}: tensor '{name}' is {t.DType}; weights must be F32, F16 or BF16");
        return (file, t);
    }

    public void Dispose()
    {
        foreach (var f in _files) f.Dispose();
    }
}
