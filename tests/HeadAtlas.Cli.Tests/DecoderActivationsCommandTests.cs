using System.Text.Json;

namespace HeadAtlas.Cli.Tests;

/// <summary>`activations` on causal models: masked attention scores as null, and texts outside a SentencePiece vocabulary.</summary>
[Collection("console")]
public sealed class DecoderActivationsCommandTests
{
    private static string Fixture(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", "fixtures", name);
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException($"tests/fixtures/{name}");
    }

    [Theory]
    [InlineData("gpt2")]
    [InlineData("llama")]
    public void Causal_attention_scores_write_masked_keys_as_null(string fixture)
    {
        using var tmp = new TempFolder();
        string outPath = tmp.File("acts.json");
        var (exit, _, err) = CliRunner.Run("activations", "--model", Fixture(fixture), "--text", " the whale",
            "--hooks", "blocks.0.attn.hook_attn_scores,blocks.0.attn.hook_pattern", "--out", outPath);
        Assert.True(exit == 0, err);
        using var json = JsonDocument.Parse(File.ReadAllText(outPath));
        var acts = json.RootElement.GetProperty("activations");
        int n = json.RootElement.GetProperty("ids").GetArrayLength();
        Assert.True(n >= 2);
        var scores = acts.GetProperty("blocks.0.attn.hook_attn_scores").GetProperty("data").EnumerateArray().ToArray(); // [head, q, k]
        var pattern = acts.GetProperty("blocks.0.attn.hook_pattern").GetProperty("data").EnumerateArray().ToArray();
        Assert.Equal(pattern.Length, scores.Length);
        for (int i = 0; i < scores.Length; i++)
        {
            int q = i / n % n, k = i % n;
            Assert.Equal(k > q, scores[i].ValueKind == JsonValueKind.Null);
            if (k > q) Assert.Equal(0f, pattern[i].GetSingle());
        }
    }

    [Fact]
    public void A_sentencepiece_model_spells_an_emoji_in_bytes()
    {
        using var tmp = new TempFolder();
        string outPath = tmp.File("acts.json");
        var (exit, _, err) = CliRunner.Run("activations", "--model", Fixture("mistral"), "--text", "the 🐋 whale",
            "--hooks", "blocks.0.hook_resid_post", "--out", outPath);
        Assert.True(exit == 0, err);
        using var json = JsonDocument.Parse(File.ReadAllText(outPath));
        var tokens = json.RootElement.GetProperty("tokens").EnumerateArray().Select(t => t.GetString()!).ToArray();
        Assert.Equal(["<s>", " the", " ", "<0xF0:🐋>", "<0x9F:🐋>", "<0x90:🐋>", "<0x8B:🐋>", " whale"], tokens);
    }
}
