using HeadAtlas.Projection;

namespace HeadAtlas.Projection.Tests;

public class UmapTests
{
    [Theory]
    // Reference values: umap-learn's find_ab_params (scipy curve_fit) for these settings, as published in its docs/issues.
    [InlineData(0.1, 1.0, 1.5769, 0.8951)]
    [InlineData(0.001, 1.0, 1.9290, 0.7915)]
    public void CurveFitMatchesUmapLearn(double minDist, double spread, double a, double b)
    {
        var (fa, fb) = UmapCurve.Fit(minDist, spread);
        Assert.Equal(a, fa, 0.01);
        Assert.Equal(b, fb, 0.01);
    }

    [Fact]
    public void CalibrationHitsLog2K()
    {
        var rng = new Random(3);
        var dist = Enumerable.Range(0, 14).Select(_ => (float)(rng.NextDouble() * 5 + 1)).OrderBy(v => v).ToArray();
        var (rho, sigma) = UmapGraph.Calibrate(dist, 3);
        Assert.Equal(dist[0], rho, 1e-6);
        double sum = dist.Sum(v => Math.Exp(-Math.Max(0, v - rho) / sigma));
        Assert.Equal(Math.Log2(15), sum, 1e-4);
    }

    [Fact]
    public void FuzzyUnionIsSymmetric()
    {
        var (x, _) = TsneTests.Clusters(300, 5, 3, 6, 2);
        var g = UmapGraph.FromKnn(KnnGraph.Exact(x, 300, 5, 9));
        var map = new Dictionary<(int, int), float>();
        for (int i = 0; i < g.N; i++)
            for (int e = g.RowStart[i]; e < g.RowStart[i + 1]; e++) map[(i, g.Columns[e])] = g.Weights[e];
        foreach (var ((i, j), w) in map)
        {
            Assert.Equal(w, map[(j, i)]);
            Assert.InRange(w, 1e-9f, 1f);
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void WellSeparatedClustersStaySeparated(int dims)
    {
        int n = 1500;
        var (x, labels) = TsneTests.Clusters(n, 20, 5, 10, 4);
        var y = Umap.Embed(x, n, 20, new UmapOptions { Dims = dims, Seed = 1 });
        Assert.True(TsneTests.NearestNeighbourAccuracy(y, n, dims, labels) > 0.99);
        // Each cluster's points are closer to their own centroid than to any other cluster's.
        var centroid = new double[5 * dims];
        for (int i = 0; i < n; i++) for (int a = 0; a < dims; a++) centroid[labels[i] * dims + a] += y[i * dims + a] / (n / 5);
        int wrong = 0;
        for (int i = 0; i < n; i++)
        {
            int best = Enumerable.Range(0, 5).MinBy(c => Enumerable.Range(0, dims).Sum(a => Math.Pow(y[i * dims + a] - centroid[c * dims + a], 2)));
            if (best != labels[i]) wrong++;
        }
        Assert.Equal(0, wrong);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void SameSeedSameOutputWhateverTheThreads(int dims)
    {
        int n = 1300; // not a multiple of the 512 rows of a task, nor of the 32 rows in flight
        var (x, _) = TsneTests.Clusters(n, 10, 4, 5, 9);
        var a = Umap.Embed(x, n, 10, new UmapOptions { Dims = dims, Seed = 3, Threads = 1, Epochs = 100 });
        var b = Umap.Embed(x, n, 10, new UmapOptions { Dims = dims, Seed = 3, Threads = 4, Epochs = 100 });
        var b2 = Umap.Embed(x, n, 10, new UmapOptions { Dims = dims, Seed = 3, Threads = 2, Epochs = 100 });
        var c = Umap.Embed(x, n, 10, new UmapOptions { Dims = dims, Seed = 4, Threads = 4, Epochs = 100 });
        Assert.Equal(a, b);
        Assert.Equal(a, b2);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void TrustworthinessCloseToTsne()
    {
        int n = 2000, d = 16;
        var x = NnDescentTests.Mixture(n, d, 8, 11, spread: 2);
        var u = Umap.Embed(x, n, d, new UmapOptions { Seed = 1 });
        var t = Tsne.Embed(x, n, d, new TsneOptions { Seed = 1 });
        double tu = Quality.Trustworthiness(x, n, d, u, 2, 10), tt = Quality.Trustworthiness(x, n, d, t, 2, 10);
        Assert.True(tu >= tt - 0.02, $"UMAP {tu:F4} vs t-SNE {tt:F4}");
    }

    [Fact]
    public void TrustworthinessOfAnIsometryIsOne()
    {
        var rng = new Random(1);
        var y = Enumerable.Range(0, 400).Select(_ => (float)rng.NextDouble()).ToArray(); // [200, 2]
        var x = new float[200 * 3]; // same points rotated and lifted into 3D
        for (int i = 0; i < 200; i++) { x[3 * i] = y[2 * i + 1]; x[3 * i + 1] = -y[2 * i]; x[3 * i + 2] = 7; }
        Assert.Equal(1.0, Quality.Trustworthiness(x, 200, 3, y, 2, 10), 1e-12);
        var shuffled = y.Reverse().ToArray();
        Assert.True(Quality.Trustworthiness(x, 200, 3, shuffled, 2, 10) < 0.7);
    }
}
