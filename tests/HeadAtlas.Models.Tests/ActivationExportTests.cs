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
