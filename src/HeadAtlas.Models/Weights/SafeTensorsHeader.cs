using System.Text.Json;

namespace HeadAtlas.Models.Weights;

/// <summary>
/// Parses and checks the JSON header of a safetensors file: an object mapping tensor names to
/// {"dtype", "shape", "data_offsets": [begin, end]} (offsets into the data section after the header), plus an optional
/// "__metadata__" object of strings. Every claim is checked against the file, so a lying header fails here, with the
/// file and the tensor named, instead of reading out of bounds later.
/// </summary>
public static class SafeTensorsHeader
{
    /// <summary>The format caps headers at 100 MB; a bigger declared length is a corrupt file, not a big model.</summary>
    public const long MaxHeaderBytes = 100_000_000;
    private const int MaxRank = 8;

    public static Dictionary<string, SafeTensorInfo> Parse(ReadOnlySpan<byte> json, long dataLength, string source)
    {
        using (var doc = StrictJson.Parse(json, $"{source}: the safetensors header", maxDepth: 8))
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new ModelException($"{source}: the safetensors header must be a JSON object, found {doc.RootElement.ValueKind}");
            var tensors = new Dictionary<string, SafeTensorInfo>(StringComparer.Ordinal);
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    if (property.Value.ValueKind != JsonValueKind.Object)
                        throw new ModelException($"{source}: header field '__metadata__' must be an object");
                    continue;
                }
                if (tensors.ContainsKey(property.Name))
                    throw new ModelException($"{source}: tensor '{property.Name}' is declared twice in the header");
                tensors[property.Name] = Tensor(property.Name, property.Value, dataLength, source);
            }
            CheckNoOverlap(tensors.Values, source);
            return tensors;
        }
    }

    private static SafeTensorInfo Tensor(string name, JsonElement e, long dataLength, string source)
    {
        string where = $"{source}: tensor '{name}'";
        if (e.ValueKind != JsonValueKind.Object) throw new ModelException($"{where}: expected an object with dtype, shape and data_offsets");
        if (!e.TryGetProperty("dtype", out var dtypeEl) || dtypeEl.ValueKind != JsonValueKind.String)
            throw new ModelException($"{where}: field 'dtype' is missing or not a string");
        if (!SafeTensorDTypes.TryParse(dtypeEl.GetString()!, out var dtype))
            throw new ModelException($"{where}: unknown dtype '{dtypeEl.GetString()}'");

        if (!e.TryGetProperty("shape", out var shapeEl) || shapeEl.ValueKind != JsonValueKind.Array)
            throw new ModelException($"{where}: field 'shape' is missing or not an array");
        if (shapeEl.GetArrayLength() > MaxRank) throw new ModelException($"{where}: shape has {shapeEl.GetArrayLength()} dimensions (at most {MaxRank} supported)");
        var shape = new long[shapeEl.GetArrayLength()];
        long count = 1;
        int i = 0;
        foreach (var dim in shapeEl.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out long d) || d < 0)
                throw new ModelException($"{where}: shape entry {i} is not a non-negative integer ({dim.GetRawText()})");
            shape[i++] = d;
            // Declared sizes beyond the file are caught below; this only keeps the product from overflowing first.
            if (d != 0 && count > long.MaxValue / d / 8)
                throw new ModelException($"{where}: shape [{string.Join(", ", shape.Take(i))}...] declares more elements than any file can hold");
            count *= d;
        }

        if (!e.TryGetProperty("data_offsets", out var offEl) || offEl.ValueKind != JsonValueKind.Array || offEl.GetArrayLength() != 2)
            throw new ModelException($"{where}: field 'data_offsets' must be an array [begin, end]");
        if (!offEl[0].TryGetInt64Strict(out long begin) || !offEl[1].TryGetInt64Strict(out long end) || begin < 0 || end < begin)
            throw new ModelException($"{where}: data_offsets {offEl.GetRawText()} must be integers with 0 ≤ begin ≤ end");
        if (end > dataLength)
            throw new ModelException($"{where}: data_offsets [{begin}, {end}] run past the end of the data ({dataLength} bytes)");
        long bytes = count * dtype.Size();
        if (bytes != end - begin)
            throw new ModelException($"{where}: shape [{string.Join(", ", shape)}] × {dtype} is {bytes} bytes but data_offsets [{begin}, {end}] hold {end - begin}");
        return new SafeTensorInfo(name, dtype, shape, begin, end);
    }

    private static bool TryGetInt64Strict(this JsonElement e, out long value)
    {
        value = 0;
        return e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out value);
    }

    private static void CheckNoOverlap(IEnumerable<SafeTensorInfo> tensors, string source)
    {
        SafeTensorInfo? previous = null;
        foreach (var t in tensors.Where(t => t.End > t.Begin).OrderBy(t => t.Begin))
        {
            if (previous is not null && t.Begin < previous.End)
                throw new ModelException($"{source}: tensors '{previous.Name}' [{previous.Begin}, {previous.End}) and '{t.Name}' [{t.Begin}, {t.End}) overlap");
            previous = t;
        }
    }
}
