using System.Text.Json;

namespace HeadAtlas.Cli.Tests;

/// <summary>--model PATH through the real commands, on the tiny Hugging Face folders of tests/fixtures.</summary>
[Collection("console")]
public sealed class FolderModelCommandTests
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

    [Fact]
    public void Activations_of_a_llama_folder_include_post_rope_queries_and_grouped_keys()
    {
        using var tmp = new TempFolder();
        string outPath = tmp.File("acts.json");
        var (exit, _, err) = CliRunner.Run("activations", "--model", Fixture("llama"), "--text", "the whale",
            "--hooks", "blocks.1.attn.hook_rot_q,blocks.1.attn.hook_rot_k,blocks.1.attn.hook_pattern", "--out", outPath);
        Assert.True(exit == 0, err);
        using var json = JsonDocument.Parse(File.ReadAllText(outPath));
        var acts = json.RootElement.GetProperty("activations");
        int pos = json.RootElement.GetProperty("ids").GetArrayLength();
        Assert.Equal("<s>", json.RootElement.GetProperty("tokens")[0].GetString());
        Assert.Equal([pos, 4, 8], Shape(acts, "blocks.1.attn.hook_rot_q"));
        Assert.Equal([pos, 2, 8], Shape(acts, "blocks.1.attn.hook_rot_k"));
        Assert.Equal([4, pos, pos], Shape(acts, "blocks.1.attn.hook_pattern"));
    }

    [Fact]
    public void Activations_of_a_vit_folder_take_an_image()
    {
        using var tmp = new TempFolder();
        string outPath = tmp.File("acts.json");
        var (exit, _, err) = CliRunner.Run("activations", "--model", Fixture("vit"), "--image", Path.Combine(Fixture("vit"), "image.png"),
            "--hooks", "blocks.0.attn.hook_q", "--out", outPath);
        Assert.True(exit == 0, err);
        using var json = JsonDocument.Parse(File.ReadAllText(outPath));
        Assert.Equal(17, json.RootElement.GetProperty("tokens").GetArrayLength());

        (exit, _, err) = CliRunner.Run("activations", "--model", Fixture("vit"), "--text", "hello", "--hooks", "blocks.0.attn.hook_q", "--out", outPath);
        Assert.Equal(1, exit);
        Assert.Contains("--image", err);
    }

    [Fact]
    public void Models_lists_the_builtin_and_what_a_folder_needs()
    {
        var (exit, output, _) = CliRunner.Run("models");
        Assert.Equal(0, exit);
        Assert.Contains("minilm", output);
        Assert.Contains("config.json", output);
        Assert.Contains("model.safetensors", output);
    }

    [Fact]
    public void A_broken_folder_is_one_error_naming_the_field()
    {
        using var tmp = new TempFolder();
        foreach (var f in Directory.GetFiles(Fixture("gpt2"))) File.Copy(f, tmp.File(Path.GetFileName(f)));
        File.WriteAllText(tmp.File("config.json"), File.ReadAllText(tmp.File("config.json")).Replace("\"n_head\": 4", "\"n_head\": 0"));
        var (exit, _, err) = CliRunner.Run("activations", "--model", tmp.Path, "--text", "x", "--hooks", "blocks.0.attn.hook_q", "--out", tmp.File("a.json"));
        Assert.Equal(1, exit);
        Assert.Contains("'n_head'", err);
        Assert.False(File.Exists(tmp.File("a.json")));
    }

    private static int[] Shape(JsonElement acts, string hook) =>
        acts.GetProperty(hook).GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray();
}
