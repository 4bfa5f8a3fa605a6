using System.Text.Json.Nodes;

namespace HeadAtlas.Models.Tests;

/// <summary>Bad model folders: one ModelException naming the file and the field or file that is wrong.</summary>
public sealed class FolderErrorTests
{
    private static ModelException LoadFails(string folder) => Assert.Throws<ModelException>(() => ModelLoader.Load(folder));

    private static string WithConfig(string fixture, Action<JsonObject> edit)
    {
        string dir = Fixtures.CopyToTemp(fixture);
        string path = Path.Combine(dir, "config.json");
        var config = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(config);
        File.WriteAllText(path, config.ToJsonString());
        return dir;
    }

    [Theory]
    [InlineData("llama", "hidden_size")]
    [InlineData("llama", "num_hidden_layers")]
    [InlineData("gpt2", "n_embd")]
    [InlineData("bert", "intermediate_size")]
    public void MissingConfigFieldIsNamed(string fixture, string field)
    {
        var e = LoadFails(WithConfig(fixture, c => c.Remove(field)));
        Assert.Contains($"'{field}'", e.Message);
        Assert.Contains("config.json", e.Message);
    }

    [Fact]
    public void ContradictoryFieldsAreNamed()
    {
        Assert.Contains("'num_key_value_heads'", LoadFails(WithConfig("llama", c => c["num_key_value_heads"] = 3)).Message);
        Assert.Contains("'n_head'", LoadFails(WithConfig("gpt2", c => c["n_head"] = 5)).Message);
        Assert.Contains("'hidden_size'", LoadFails(WithConfig("llama", c => c["hidden_size"] = "wide")).Message);
        // A size that disagrees with the weights names the tensor.
        var e = LoadFails(WithConfig("llama", c => c["intermediate_size"] = 50));
        Assert.Contains("mlp.gate_proj.weight", e.Message);
        Assert.Contains("has shape [48, 32]", e.Message);
        Assert.Contains("'rope_scaling'", LoadFails(WithConfig("llama", c => c["rope_scaling"] = new JsonObject { ["rope_type"] = "yarn", ["factor"] = 2 })).Message);
    }

    [Fact]
    public void UnknownModelTypeIsNamed()
    {
        var e = LoadFails(WithConfig("gpt2", c => c["model_type"] = "t5"));
        Assert.Contains("'model_type'", e.Message);
        Assert.Contains("'t5'", e.Message);
    }

    [Fact]
    public void MissingFilesAreNamed()
    {
        string dir = Fixtures.CopyToTemp("gpt2");
        File.Delete(Path.Combine(dir, "merges.txt"));
        var e = LoadFails(dir);
        Assert.Contains("merges.txt", e.Message);

        dir = Fixtures.CopyToTemp("bert");
        File.Delete(Path.Combine(dir, "vocab.txt"));
        Assert.Contains("vocab.txt", LoadFails(dir).Message);

        dir = Fixtures.CopyToTemp("llama");
        File.Delete(Path.Combine(dir, "model.safetensors"));
        Assert.Contains("model.safetensors", LoadFails(dir).Message);

        dir = Fixtures.CopyToTemp("llama");
        File.Delete(Path.Combine(dir, "config.json"));
        Assert.Contains("config.json", LoadFails(dir).Message);

        Assert.Contains("unknown model", LoadFails("/no/such/folder").Message);
    }

    [Fact]
    public void BuiltinNameStillLoadsTheBuiltin() => Assert.Equal("minilm", ModelLoader.Load("minilm").Info.Name);
}

/// <summary>An .onnx path: the built-in's graph and vocab.txt copied to a folder load as the same model.</summary>
public sealed class OnnxFileTests
{
    [Fact]
    public void OnnxFileWithVocabBesideItMatchesTheBuiltin()
    {
        string dir = Path.Combine(Path.GetTempPath(), "headatlas-onnx-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string onnx = Path.Combine(dir, "mini.onnx");
            File.WriteAllBytes(onnx, MiniLmResources.ReadModelBytes());
            var e = Assert.Throws<ModelException>(() => ModelLoader.Load(onnx));
            Assert.Contains("vocab.txt", e.Message);
            using (var vocab = MiniLmResources.OpenVocab())
            using (var file = File.Create(Path.Combine(dir, "vocab.txt"))) vocab.CopyTo(file);
            using var model = ModelLoader.Load(onnx);
            var builtin = BuiltinModels.Load("minilm");
            var ids = builtin.Tokenize("Call me Ishmael.").Ids;
            Assert.Equal(ids, model.Tokenize("Call me Ishmael.").Ids);
            Assert.True(Fixtures.MaxAbsDiff(builtin.Forward([ids])[0], model.Forward([ids])[0]) == 0);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
