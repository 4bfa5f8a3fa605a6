using HeadAtlas.Projection;

namespace HeadAtlas.Projection.Tests;

public class PlacementTests
{
    private const int N = 1200, D = 12;

    /// <summary>Copies of 30 existing points (plus noise far below the cluster width) as new points [30, D].</summary>
    private static (float[] Points, int[] Originals) Copies(float[] x)
    {
        var rng = new Random(5);
        var originals = Enumerable.Range(0, 30).Select(t => t * 37 % N).ToArray();
        var points = new float[30 * D];
        for (int t = 0; t < 30; t++)
            for (int a = 0; a < D; a++) points[t * D + a] = x[originals[t] * D + a] + (float)(1e-3 * PcaTests.Gauss(rng));
        return (points, originals);
    }

    /// <summary>Asserts that, on average over the placed points, each sits within twice its original's 10-NN radius of the
    /// original, and much nearer the embedding positions of the original's 15 input-space neighbours than its cluster's
    /// (random placement in the right cluster would make those two equal); and its nearest reference point is always in
    /// the original's cluster.</summary>
    private static void AssertBesideNeighbours(float[] x, int[] labels, float[] y, int dims, float[] placed, int[] originals)
    {
        int close = 0;
        double sumD = 0, sumTenth = 0, sumNbr = 0, sumCluster = 0;
        for (int t = 0; t < originals.Length; t++)
        {
            int o = originals[t];
            double Dist(ReadOnlySpan<float> q, int j) { double s = 0; for (int a = 0; a < dims; a++) s += Math.Pow(q[a] - y[j * dims + a], 2); return Math.Sqrt(s); }
            var p = placed.AsSpan(t * dims, dims).ToArray();
            var byEmbedding = Enumerable.Range(0, N).Where(j => j != o).OrderBy(j => Dist(y.AsSpan(o * dims, dims), j)).ToArray();
            double tenth = Dist(y.AsSpan(o * dims, dims), byEmbedding[9]);
            if (Dist(p, o) <= tenth) close++;
            sumD += Dist(p, o); sumTenth += tenth;
            var inputNbrs = Enumerable.Range(0, N).Where(j => j != o).OrderBy(j => Enumerable.Range(0, D).Sum(a => Math.Pow(x[o * D + a] - x[j * D + a], 2))).Take(15).ToArray();
            sumNbr += inputNbrs.Average(j => Dist(p, j));
            sumCluster += Enumerable.Range(0, N).Where(j => labels[j] == labels[o]).Average(j => Dist(p, j));
            // The nearest reference point to the placed one belongs to the original's cluster.
            int nearest = Enumerable.Range(0, N).MinBy(j => Dist(p, j));
            Assert.Equal(labels[o], labels[nearest]);
        }
        Assert.True(sumD < 2 * sumTenth && sumNbr < 0.7 * sumCluster, $"{close} of 30 placed points within the original's 10-NN radius; mean dist to original {sumD / 30:F3}, 10-NN radius {sumTenth / 30:F3}, to input nbrs {sumNbr / 30:F3}, to cluster {sumCluster / 30:F3}");
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void UmapCopyLandsBesideItsOriginal(int dims)
    {
        var (x, labels) = TsneTests.Clusters(N, D, 6, 4, 8);
        var options = new UmapOptions { Dims = dims, Seed = 2 };
        var y = Umap.Embed(x, N, D, options);
        var (points, originals) = Copies(x);
        var placed = UmapPlacement.Place(x, N, D, y, points, 30, options);
        AssertBesideNeighbours(x, labels, y, dims, placed, originals);
        Assert.Equal(placed, UmapPlacement.Place(x, N, D, y, points, 30, options with { Threads = 1 }));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void TsneCopyLandsBesideItsOriginal(int dims)
    {
        var (x, labels) = TsneTests.Clusters(N, D, 6, 4, 8);
        var y = Tsne.Embed(x, N, D, new TsneOptions { Dims = dims, Seed = 2 });
        var (points, originals) = Copies(x);
        var placed = TsnePlacement.Place(x, N, D, y, dims, points, 30);
        AssertBesideNeighbours(x, labels, y, dims, placed, originals);
    }

    [Fact]
    public void PcaTransformOfACopyIsExactlyTheOriginalsPosition()
    {
        var (x, _) = TsneTests.Clusters(N, D, 6, 4, 8);
        var model = PcaModel.Fit(x, N, D, 2);
        var y = model.Transform(x, N);
        var copy = x.AsSpan(17 * D, D).ToArray();
        var placed = model.Transform(copy, 1);
        Assert.Equal(y[34], placed[0], 1e-5);
        Assert.Equal(y[35], placed[1], 1e-5);
    }
}
