using HeadAtlas.Projection;

namespace HeadAtlas.Atlas.Tests;

/// <summary>CompleteProjections (HeadProjections): one kNN graph per head shared by t-SNE and UMAP, the fill order,
/// the default six projections, determinism.</summary>
public class HeadProjectionsTests
{
    private static readonly string[] All = ["pca2d", "pca3d", "tsne2d", "tsne3d", "umap2d", "umap3d"];

    private static float[] Coords(string path) => RunReader.ReadProjection(path).Coords; // [rows, dims]

    [Fact]
    public void DefaultBuildWritesAllSixProjectionsForEveryHead()
    {
        Assert.Equal(All.Order(), new BuildSettings().Projections.Order());
        using var dir = new TempDir();
        string run = dir.File("run");
        AtlasBuilder.Build(new FakeModel(), BuildBaseTests.SmallCorpus(dir), run, new BuildSettings { TsneIterations = 60 });
        var m = RunReader.ReadManifest(run);
        Assert.Equal(All.Order(), m.Projections.Order());
        foreach (var head in m.Heads)
        {
            string headDir = Path.Combine(run, head.Dir);
            foreach (var p in All)
            {
                var table = RunReader.ReadTable(Path.Combine(headDir, p + ".arrow"));
                Assert.Equal(2 * m.Corpus.Tokens, table.Length);
                Assert.Equal(p[^2] - '0', table.ColumnCount);
            }
            Assert.Equal(All.Order(), HeadMetrics.Read(headDir)["faithfulness"].Keys.Order());
            // The shared graph's temp file is gone once the head is done.
            Assert.Empty(Directory.GetFiles(headDir, "*.tmp"));
        }
    }

    /// <summary>The files equal what Tsne.Embed and Umap.Embed give on the head's points each with its own kNN search
    /// (same seed): below KnnGraph.ExactLimit the shared graph is exact, and its first k columns are the k-NN.</summary>
    [Fact]
    public void SharedGraphGivesTheSameEmbeddingsAsOneSearchPerProjection()
    {
        using var dir = new TempDir();
        string run = dir.File("run");
        var settings = new BuildSettings { Projections = All, TsneIterations = 80, Seed = 3, Perplexity = 10, UmapNeighbors = 6 };
        AtlasBuilder.Build(new FakeModel(), BuildBaseTests.SmallCorpus(dir), run, settings);
        var m = RunReader.ReadManifest(run);
        foreach (var head in m.Heads.Take(3))
        {
            string headDir = Path.Combine(run, head.Dir);
            var (q, k, n, d) = RunReader.ReadQk(headDir);
            var points = QkNormalization.JointPoints(q, k, n, d, true, true, Metric.Cosine); // [2N, d]
            var tsne2 = Tsne.Embed(points, 2 * n, d, new TsneOptions { Dims = 2, Perplexity = 10, Iterations = 80, Seed = 3 });
            var umap2 = Umap.Embed(points, 2 * n, d, new UmapOptions { Dims = 2, Neighbors = 6, Seed = 3 });
            AssertSameUpToCentering(tsne2, Coords(Path.Combine(headDir, "tsne2d.arrow")), 2);
            AssertSameUpToCentering(umap2, Coords(Path.Combine(headDir, "umap2d.arrow")), 2);
            // 3D continues from the 2D file of the same method (Layout3DFrom2D).
            var tsne3 = Tsne.Embed(points, 2 * n, d, Layout3DFrom2D.ContinueTsne(new TsneOptions { Perplexity = 10, Seed = 3, Iterations = 80 },
                Layout3DFrom2D.Start(Coords(Path.Combine(headDir, "tsne2d.arrow")), points, 2 * n, d, 3)));
            var umap3 = Umap.Embed(points, 2 * n, d, Layout3DFrom2D.ContinueUmap(new UmapOptions { Neighbors = 6, Seed = 3 },
                Layout3DFrom2D.Start(Coords(Path.Combine(headDir, "umap2d.arrow")), points, 2 * n, d, 3), 2 * n));
            AssertSameUpToCentering(tsne3, Coords(Path.Combine(headDir, "tsne3d.arrow")), 3);
            AssertSameUpToCentering(umap3, Coords(Path.Combine(headDir, "umap3d.arrow")), 3);
        }
    }

    // Projection files are centered when written (RunWriter.WriteProjection).
    private static void AssertSameUpToCentering(float[] expected, float[] actual, int dims)
    {
        Assert.Equal(expected.Length, actual.Length);
        int rows = expected.Length / dims;
        for (int c = 0; c < dims; c++)
        {
            double mean = 0;
            for (int r = 0; r < rows; r++) mean += expected[r * dims + c];
            mean /= rows;
            for (int r = 0; r < rows; r++)
                Assert.Equal((float)(expected[r * dims + c] - mean), actual[r * dims + c]);
        }
    }

    [Fact]
    public void SameSeedGivesTheSameFilesWhateverTheHeadsSideBySide()
    {
        using var dir = new TempDir();
        var settings = new BuildSettings { Projections = All, TsneIterations = 50, Seed = 5 };
        string corpus = BuildBaseTests.SmallCorpus(dir);
        string one = dir.File("one"), two = dir.File("two");
        AtlasBuilder.Build(new FakeModel(), corpus, one, settings with { TsneParallelHeads = 1 });
        AtlasBuilder.Build(new FakeModel(), corpus, two, settings with { TsneParallelHeads = 2 });
        foreach (var head in RunReader.ReadManifest(one).Heads)
            foreach (var p in All)
                Assert.Equal(File.ReadAllBytes(Path.Combine(one, head.Dir, p + ".arrow")), File.ReadAllBytes(Path.Combine(two, head.Dir, p + ".arrow")));
    }

    [Fact]
    public void FillOrderIsPcaThenUmap2dForEveryHeadThenTheRest()
    {
        var waves = HeadProjections.Waves(["tsne3d", "umap3d", "pca2d", "tsne2d", "umap2d", "pca3d"]);
        Assert.Equal(3, waves.Count);
        Assert.Equal(["pca2d", "pca3d"], waves[0]);
        Assert.Equal(["umap2d"], waves[1]);
        Assert.Equal(["tsne2d", "umap3d", "tsne3d"], waves[2]);
        // Without UMAP 2D the first nonlinear picture is t-SNE 2D.
        Assert.Equal([["tsne2d"], ["tsne3d"]], HeadProjections.Waves(["tsne3d", "tsne2d"]));
    }

    [Fact]
    public void TheGraphHasTheMostNeighboursAnyProjectionNeeds()
    {
        Assert.Equal(90, HeadProjections.GraphNeighbours(All, 16000, 30, 15));
        Assert.Equal(14, HeadProjections.GraphNeighbours(["umap2d", "pca2d"], 16000, 30, 15));
        Assert.Equal(0, HeadProjections.GraphNeighbours(["pca2d"], 16000, 30, 15));
        Assert.Equal(9, HeadProjections.GraphNeighbours(["umap3d"], 10, 30, 15)); // every other point
    }

    /// <summary>An interrupted build resumes: files already there are kept, the missing ones appear, and a
    /// left-over graph file from the interrupted run is not trusted (removed as stale).</summary>
    [Fact]
    public void ResumeFillsOnlyTheMissingFiles()
    {
        using var dir = new TempDir();
        string run = dir.File("run");
        var settings = new BuildSettings { Projections = All, TsneIterations = 40 };
        AtlasBuilder.Build(new FakeModel(), BuildBaseTests.SmallCorpus(dir), run, settings);
        var m = RunReader.ReadManifest(run);
        string headDir = Path.Combine(run, m.Heads[1].Dir);
        var before = File.GetLastWriteTimeUtc(Path.Combine(headDir, "umap2d.arrow"));
        var tsne3 = File.ReadAllBytes(Path.Combine(headDir, "tsne3d.arrow"));
        File.Delete(Path.Combine(headDir, "tsne3d.arrow"));
        File.WriteAllBytes(Path.Combine(headDir, "knn-graph.bin.tmp"), [1, 2, 3]);
        AtlasBuilder.CompleteProjections(run, 2);
        Assert.Equal(tsne3, File.ReadAllBytes(Path.Combine(headDir, "tsne3d.arrow")));
        Assert.Equal(before, File.GetLastWriteTimeUtc(Path.Combine(headDir, "umap2d.arrow")));
        Assert.Empty(Directory.GetFiles(headDir, "*.tmp"));
    }
}
