using System.Text.Json;
using HeadAtlas.Tensors;

namespace HeadAtlas.Models.Tests;

/// <summary>The tiny Hugging Face folders under tests/fixtures (written by make_fixtures.py with PyTorch) and their reference activations.</summary>
public static class Fixtures
{
    public static string Root { get; } = FindRoot();

    public static string Folder(string name) => Path.Combine(Root, name);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", "fixtures");
            if (File.Exists(Path.Combine(candidate, "make_fixtures.py"))) return candidate;
        }
        throw new DirectoryNotFoundException("tests/fixtures not found above " + AppContext.BaseDirectory);
    }

    public sealed record Reference(int[] Ids, Dictionary<string, Tensor> Hooks);

    public static Reference Load(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Folder(name), "reference.json")));
        var ids = doc.RootElement.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var hooks = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var h in doc.RootElement.GetProperty("hooks").EnumerateObject())
        {
            var shape = h.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            // null is a masked attention score (−∞), which JSON cannot write.
            var data = h.Value.GetProperty("data").EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Null ? float.NegativeInfinity : e.GetSingle()).ToArray();
            hooks[h.Name] = new Tensor(data, shape);
        }
        return new Reference(ids, hooks);
    }

    /// <summary>Copies a fixture folder to a fresh temporary folder (for tests that damage files).</summary>
    public static string CopyToTemp(string name)
    {
        string dest = Path.Combine(Path.GetTempPath(), "headatlas-fixture-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dest);
        foreach (var f in Directory.GetFiles(Folder(name))) File.Copy(f, Path.Combine(dest, Path.GetFileName(f)));
        return dest;
    }

    public static float MaxAbsDiff(Tensor a, Tensor b)
    {
        Assert.Equal(a.Shape, b.Shape);
        float max = 0;
        for (int i = 0; i < a.Length; i++)
        {
            float x = a.Data[i], y = b.Data[i];
            float d = x == y ? 0 : Math.Abs(x - y); // equal infinities (masked scores) agree
            max = Math.Max(max, float.IsNaN(d) ? float.PositiveInfinity : d);
        }
        return max;
    }
}
