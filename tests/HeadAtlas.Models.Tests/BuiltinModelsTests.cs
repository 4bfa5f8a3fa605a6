using HeadAtlas.Models;

namespace HeadAtlas.Models.Tests;

public sealed class BuiltinModelsTests
{
    [Fact]
    public void MiniLmHasItsPublishedShape()
    {
        var info = BuiltinModels.Load("minilm").Info;
        Assert.Equal(new ModelInfo("minilm", "bert", Layers: 6, Heads: 12, KvHeads: 12, DHead: 32, DModel: 384, MaxPositions: 512), info);
    }

    [Fact]
    public void LoadsOncePerProcess() => Assert.Same(BuiltinModels.Load("minilm"), BuiltinModels.Load("MiniLM"));

    [Fact]
    public void UnknownModelIsNamedWithTheBuiltInList()
    {
        var e = Assert.Throws<ModelException>(() => BuiltinModels.Load("gpt-17"));
        Assert.Contains("'gpt-17'", e.Message);
        Assert.Contains("minilm", e.Message);
    }
}
