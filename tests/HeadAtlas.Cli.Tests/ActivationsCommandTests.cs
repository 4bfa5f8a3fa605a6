using System.Text.Json;
using HeadAtlas.Models;

namespace HeadAtlas.Cli.Tests;

/// <summary>The activations JSON is a contract other tools script against: check it through the real command.</summary>
[Collection("console")]
public sealed class ActivationsCommandTests
{
    [Fact]
    public void Writes_the_requested_hooks_with_TransformerLens_shapes_and_the_forward_pass_values()
    {
        using var tmp = new TempFolder();
        string outPath = tmp.File("acts.json");
        const string text = "Call me Ishmael, 42 times.";
        var (exit, _, err) = CliRunner.Run("activations", "--model", "minilm", "--text", text,
            "--hooks", "blocks.2.attn.hook_k,blocks.2.attn.hook_pattern,blocks.5.hook_resid_post", "--out", outPath);
        Assert.True(exit == 0, err);

        using var json = JsonDocument.Parse(File.ReadAllText(outPath));
        var root = json.RootElement;
        var model = BuiltinModels.Load("minilm");
        var tokenized = model.Tokenize(text);
        Assert.Equal(tokenized.Tokens, root.GetProperty("tokens").EnumerateArray().Select(t => t.GetString()!).ToArray());
        Assert.Equal(tokenized.Ids, root.GetProperty("ids").EnumerateArray().Select(t => t.GetInt32()).ToArray());
        int pos = tokenized.Ids.Length;

        var acts = root.GetProperty("activations");
        Assert.Equal([pos, 12, 32], Shape(acts, "blocks.2.attn.hook_k"));
        Assert.Equal([12, pos, pos], Shape(acts, "blocks.2.attn.hook_pattern"));
        Assert.Equal([pos, 384], Shape(acts, "blocks.5.hook_resid_post"));

        // Values: the same as a direct forward pass (independent of the JSON writer).
        var hooks = new HookSet().Capture("blocks.2.attn.hook_pattern");
        model.Forward([tokenized.Ids], [hooks]);
        var expected = hooks.Captured["blocks.2.attn.hook_pattern"].Data;
        var written = acts.GetProperty("blocks.2.attn.hook_pattern").GetProperty("data").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        Assert.Equal(expected.Length, written.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], written[i], 6);
        // Each attention row is a distribution.
        for (int r = 0; r < 12 * pos; r++) Assert.Equal(1.0, written.Skip(r * pos).Take(pos).Sum(), 4);
    }

    private static int[] Shape(JsonElement acts, string hook) =>
        acts.GetProperty(hook).GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()).ToArray();
}
