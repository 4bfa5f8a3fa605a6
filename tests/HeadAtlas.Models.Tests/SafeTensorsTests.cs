using System.Buffers.Binary;
using System.Text;
using HeadAtlas.Models.Weights;

namespace HeadAtlas.Models.Tests;

/// <summary>The safetensors reader: values in every float type, and headers that lie, each refused with the file and tensor named.</summary>
public sealed class SafeTensorsTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "headatlas-st-" + Guid.NewGuid().ToString("N"));

    public SafeTensorsTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Writes 8-byte length + header text + data, as the format lays them out.</summary>
    private string Write(string header, byte[] data, string name = "model.safetensors")
    {
        var h = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + h.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)h.Length);
        h.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + h.Length);
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static ModelException Refused(string path) => Assert.Throws<ModelException>(() => SafeTensorsFile.Open(path).Dispose());

    [Fact]
    public void ReadsF32F16AndBf16AsTheSameFloats()
    {
        float[] values = [1f, -2.5f, 0.15625f, -1024f];
        var f32 = values.SelectMany(BitConverter.GetBytes).ToArray();
        var f16 = values.SelectMany(v => BitConverter.GetBytes((Half)v)).ToArray();
        // These values need only 8 significant bits, so bfloat16 (the high half of the float) is exact too.
        var bf16 = values.SelectMany(v => BitConverter.GetBytes((ushort)(BitConverter.SingleToUInt32Bits(v) >> 16))).ToArray();
        string path = Write("""{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"b":{"dtype":"F16","shape":[4],"data_offsets":[16,24]},"c":{"dtype":"BF16","shape":[2,2],"data_offsets":[24,32]},"__metadata__":{"format":"pt"}}""",
            [.. f32, .. f16, .. bf16]);
        using var store = WeightStore.FromFiles([SafeTensorsFile.Open(path)]);
        Assert.Equal(values, store.ReadF32("a", 2, 2));
        Assert.Equal(values, store.ReadF32("b", 4));
        Assert.Equal(values, store.ReadF32("c", 2, 2));
        var m = store.Matrix("c", 2, 2);
        var row = new float[2];
        m.CopyRow(1, row);
        Assert.Equal(values[2..], row);
    }

    [Fact]
    public void WrongShapeNamesTheTensorAndConfig()
    {
        string path = Write("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", new byte[8]);
        using var store = WeightStore.FromFiles([SafeTensorsFile.Open(path)]);
        var e = Assert.Throws<ModelException>(() => store.ReadF32("w", 3));
        Assert.Contains("'w'", e.Message);
        Assert.Contains("[2]", e.Message);
        Assert.Contains("'nope'", Assert.Throws<ModelException>(() => store.ReadF32("nope", 1)).Message);
    }

    [Theory]
    [InlineData("""{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,32]}}""", "run past the end")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"v":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", "overlap")]
    [InlineData("""{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", "is 12 bytes")]
    [InlineData("""{"w":{"dtype":"F32","shape":[4611686018427387904, 4],"data_offsets":[0,8]}}""", "more elements")]
    [InlineData("""{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,8]}}""", "shape entry 0")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}""", "begin ≤ end")]
    [InlineData("""{"w":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}}""", "unknown dtype 'Q4'")]
    [InlineData("""{"w":{"shape":[2],"data_offsets":[0,8]}}""", "'dtype'")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2]}}""", "'data_offsets'")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", "twice")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]""", "not valid JSON")]
    [InlineData("""[1,2]""", "must be a JSON object")]
    public void LyingHeadersAreRefused(string header, string expected)
    {
        string path = Write(header, new byte[16]);
        var e = Refused(path);
        Assert.Contains(expected, e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void HeaderLengthPastTheFileIsRefused()
    {
        string path = Path.Combine(_dir, "short.safetensors");
        var bytes = new byte[20];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, ulong.MaxValue);
        File.WriteAllBytes(path, bytes);
        Assert.Contains("runs past the end", Refused(path).Message);
        File.WriteAllBytes(path, new byte[3]);
        Assert.Contains("too short", Refused(path).Message);
    }

    [Fact]
    public void ShardedWeightsAreFoundThroughTheIndex()
    {
        Write("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", BitConverter.GetBytes(3f), "model-00001-of-00002.safetensors");
        Write("""{"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", BitConverter.GetBytes(4f), "model-00002-of-00002.safetensors");
        File.WriteAllText(Path.Combine(_dir, WeightStore.IndexFile), """{"metadata":{},"weight_map":{"a":"model-00001-of-00002.safetensors","b":"model-00002-of-00002.safetensors"}}""");
        using (var store = WeightStore.OpenFolder(_dir))
        {
            Assert.Equal([3f], store.ReadF32("a", 1));
            Assert.Equal([4f], store.ReadF32("b", 1));
        }
        File.WriteAllText(Path.Combine(_dir, WeightStore.IndexFile), """{"weight_map":{"a":"../elsewhere.safetensors"}}""");
        Assert.Contains("not a file name in this folder", Assert.Throws<ModelException>(() => WeightStore.OpenFolder(_dir)).Message);
        File.WriteAllText(Path.Combine(_dir, WeightStore.IndexFile), """{"weight_map":{"a":"model-00002-of-00002.safetensors"}}""");
        Assert.Contains("does not hold it", Assert.Throws<ModelException>(() => WeightStore.OpenFolder(_dir)).Message);
        File.WriteAllText(Path.Combine(_dir, WeightStore.IndexFile), """{"weight_map":{"a":"missing.safetensors"}}""");
        Assert.Contains("'missing.safetensors' is missing", Assert.Throws<ModelException>(() => WeightStore.OpenFolder(_dir)).Message);
    }
}
