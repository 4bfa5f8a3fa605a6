using System.Text.Json;
using HeadAtlas.Models;

namespace HeadAtlas.Models.Tests;

/// <summary>The logic of <c>headatlas activations</c>: the JSON must read back as exactly what a forward pass captures.</summary>
public sealed class ActivationExportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("headatlas-activations-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void JsonRoundTripsAgainstADirectForwardPass()
    {
        var model = BuiltinModels.Load("minilm");
        const string text = "Call me Ishmael, 42 times — \"quoted\".";
        string[] hooks = ["blocks.0.attn.hook_q", "blocks.5.attn.hook_pattern", "blocks.3.hook_resid_post", "hook_embed"];
        string path = Path.Combine(_dir, "sub", "act.json");
        ActivationExport.Write(model, text, ActivationExport.ParseHookList(string.Join(" , ", hooks)), path);

        var tokens = model.Tokenize(text);
        var direct = new HookSet().Capture(hooks);
        model.Forward([tokens.Ids], [direct]);

        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = doc.RootElement;
        Assert.Equal(tokens.Tokens, root.GetProperty("tokens").EnumerateArray().Select(t => t.GetString()!));
        Assert.Equal(tokens.Ids, root.GetProperty("ids").EnumerateArray().Select(t => t.GetInt32()));
        var activations = root.GetProperty("activations");
        Assert.Equal(hooks, activations.EnumerateObject().Select(p => p.Name));
        foreach (var hook in hooks)
        {
            var entry = activations.GetProperty(hook);
            Assert.Equal(direct.Captured[hook].Shape, entry.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()));
            float[] data = entry.GetProperty("data").EnumerateArray().Select(v => v.GetSingle()).ToArray();
            Assert.Equal(direct.Captured[hook].Data, data); // bit-exact: floats are written round-trippable
        }
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!)); // no temporary file left behind
    }

    [Fact]
    public void UnknownHookNamesItAndListsValidPatternsWithoutWritingAFile()
    {
        var model = BuiltinModels.Load("minilm");
        string path = Path.Combine(_dir, "bad.json");
        var e = Assert.Throws<ModelException>(() => ActivationExport.Write(model, "hi", ["blocks.0.attn.hook_q", "blocks.9.attn.hook_k", "resid"], path));
        Assert.Contains("'blocks.9.attn.hook_k', 'resid'", e.Message);
        Assert.Contains("blocks.{l}.attn.hook_pattern (l = 0..5)", e.Message);
        Assert.Contains("hook_pos_embed", e.Message);
        Assert.DoesNotContain("blocks.3.attn", e.Message); // grouped, not listed one by one
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void EmptyHookListIsAnError() => Assert.Throws<ModelException>(() => ActivationExport.ParseHookList(" , "));

    [Fact]
    public void OverwritesAnExistingFileWhole()
    {
        var model = BuiltinModels.Load("minilm");
        string path = Path.Combine(_dir, "act.json");
        File.WriteAllText(path, new string('x', 10_000_000));
        ActivationExport.Write(model, "short", ["hook_embed"], path);
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        Assert.Equal(3, doc.RootElement.GetProperty("ids").GetArrayLength());
    }
}

/// <summary>
/// Causal models' hook_attn_scores in the activations JSON: masked entries (−∞) are null, the rest are PyTorch's scores
/// (tests/fixtures reference.json, where make_fixtures.py writes masked scores as null too).
/// </summary>
public sealed class MaskedScoresJsonTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("headatlas-scores-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("gpt2", false)]
    [InlineData("llama", false)]
    [InlineData("mistral", true)] // sliding window 5: keys too far back are masked as well
    public void MaskedScoresAreNullAndTheRestMatchPyTorch(string fixture, bool window)
    {
        using var model = ModelLoader.Load(Fixtures.Folder(fixture));
        var reference = Fixtures.Load(fixture);
        int n = reference.Ids.Length, heads = model.Info.Heads;
        var tokens = new TokenizedText(reference.Ids, reference.Ids.Select(i => $"<{i}>").ToArray(), new bool[n], false);
        string[] hooks = ["blocks.0.attn.hook_attn_scores", "blocks.1.attn.hook_attn_scores"];
        string path = Path.Combine(_dir, fixture + ".json");
        ActivationExport.Write(model, tokens, hooks, path);

        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        int nulls = 0;
        float worst = 0;
        foreach (var hook in hooks)
        {
            var entry = doc.RootElement.GetProperty("activations").GetProperty(hook);
            Assert.Equal([heads, n, n], entry.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()));
            var data = entry.GetProperty("data").EnumerateArray().ToArray(); // [head, q_pos, k_pos]
            var expected = reference.Hooks[hook].Data;
            for (int h = 0; h < heads; h++)
                for (int q = 0; q < n; q++)
                    for (int k = 0; k < n; k++)
                    {
                        int at = (h * n + q) * n + k;
                        bool masked = k > q || (window && k <= q - 5);
                        Assert.Equal(masked, data[at].ValueKind == JsonValueKind.Null);
                        Assert.Equal(masked, float.IsNegativeInfinity(expected[at])); // the reference agrees on the mask
                        if (masked) { nulls++; continue; }
                        float diff = Math.Abs(data[at].GetSingle() - expected[at]);
                        Assert.True(diff <= 1e-4f, $"{fixture} {hook} [{h}, {q}, {k}]: {data[at].GetSingle()} vs PyTorch {expected[at]}");
                        worst = Math.Max(worst, diff);
                    }
        }
        Assert.True(nulls >= 2 * heads * n * (n - 1) / 2);
    }

    [Theory]
    [InlineData("blocks.0.attn.hook_q")]
    [InlineData("blocks.0.attn.hook_attn_scores")] // NaN is not a mask: an error, not null
    public void NaNFromABrokenModelIsAnErrorNamingTheHook(string hook)
    {
        // A GPT-2 whose first query bias is NaN: every query of head 0 in layer 0, and so its scores, are NaN.
        string dir = Fixtures.CopyToTemp("gpt2");
        try
        {
            PoisonFirstElement(Path.Combine(dir, "model.safetensors"), "h.0.attn.c_attn.bias");
            using var model = ModelLoader.Load(dir);
            var reference = Fixtures.Load("gpt2");
            var tokens = new TokenizedText(reference.Ids, reference.Ids.Select(i => $"<{i}>").ToArray(), new bool[reference.Ids.Length], false);
            string path = Path.Combine(_dir, "broken.json");
            var e = Assert.Throws<ModelException>(() => ActivationExport.Write(model, tokens, [hook], path));
            Assert.Contains($"'{hook}'", e.Message);
            Assert.Contains("NaN", e.Message);
            Assert.Empty(Directory.GetFiles(_dir)); // nothing half-written
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    /// <summary>Overwrites element 0 of an F32 tensor of a safetensors file with NaN.</summary>
    private static void PoisonFirstElement(string file, string tensor)
    {
        long begin;
        using (var st = Weights.SafeTensorsFile.Open(file)) begin = st.Info(tensor).Begin;
        using var stream = new FileStream(file, FileMode.Open, FileAccess.ReadWrite);
        var lengthBytes = new byte[8];
        stream.ReadExactly(lengthBytes);
        stream.Position = 8 + BitConverter.ToInt64(lengthBytes) + begin;
        stream.Write(BitConverter.GetBytes(float.NaN));
    }
}
