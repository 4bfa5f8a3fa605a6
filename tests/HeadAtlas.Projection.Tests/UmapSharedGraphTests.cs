using HeadAtlas.Projection;

namespace HeadAtlas.Projection.Tests;

/// <summary>UMAP from a kNN graph built beforehand, as a build shares one graph per head with t-SNE.</summary>
public class UmapSharedGraphTests
{
    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void AGraphWithMoreNeighboursGivesTheSameEmbedding(int dims)
    {
        int n = 600, d = 8;
        var rng = new Random(4);
        var x = new float[n * d]; // [n, d]
        for (int t = 0; t < x.Length; t++) x[t] = (float)PcaTests.Gauss(rng) + (t / d % 3) * 4;
        var options = new UmapOptions { Dims = dims, Neighbors = 10, Seed = 7, Epochs = 60 };
        var own = Umap.Embed(x, n, d, options);
        var shared = Umap.Embed(KnnGraph.Exact(x, n, d, 45), x, d, options); // 45 neighbours, as for t-SNE perplexity 15
        Assert.Equal(own, shared);
    }

    [Fact]
    public void AGraphWithTooFewNeighboursIsRejected()
    {
        int n = 50, d = 3;
        var x = Enumerable.Range(0, n * d).Select(t => (float)Math.Sin(t)).ToArray();
        var e = Assert.Throws<ArgumentException>(() => Umap.Embed(KnnGraph.Exact(x, n, d, 5), x, d, new UmapOptions { Neighbors = 15 }));
        Assert.Contains("needs 14", e.Message);
    }
}
