using HeadAtlas.Projection;

namespace HeadAtlas.Projection.Tests;

public class NnDescentTests
{
    /// <summary>[n, d] points from a mixture of <paramref name="clusters"/> Gaussians with random centres.</summary>
    public static float[] Mixture(int n, int d, int clusters, int seed, double spread = 4, int[]? labels = null)
    {
        var rng = new Random(seed);
        var centres = new double[clusters * d];
        for (int t = 0; t < centres.Length; t++) centres[t] = PcaTests.Gauss(rng) * spread;
        var x = new float[n * d];
        for (int i = 0; i < n; i++)
        {
            int c = i % clusters;
            if (labels is not null) labels[i] = c;
            for (int t = 0; t < d; t++) x[i * d + t] = (float)(centres[c * d + t] + PcaTests.Gauss(rng));
        }
        return x;
    }

    public static double Recall(KnnGraph approx, KnnGraph exact)
    {
        long hits = 0;
        for (int i = 0; i < exact.N; i++)
        {
            var truth = new HashSet<int>(exact.Indices.AsSpan(i * exact.K, exact.K).ToArray());
            for (int s = 0; s < approx.K; s++) if (truth.Contains(approx.Indices[i * approx.K + s])) hits++;
        }
        return hits / (double)(exact.N * (long)exact.K);
    }

    [Fact]
    public void RecallAtLeast95PercentOn20kMixture()
    {
        int n = 20_000, d = 32, k = 15;
        var x = Mixture(n, d, 10, 7);
        var exact = KnnGraph.Exact(x, n, d, k);
        var approx = NnDescent.Build(x, n, d, k, new NnDescent.Options { Seed = 1 });
        double recall = Recall(approx, exact);
        Assert.True(recall >= 0.95, $"recall {recall:F4}");
        // Distances are true distances of the returned indices, ascending.
        for (int i = 0; i < n; i += 997)
            for (int s = 0; s < k; s++)
            {
                int j = approx.Indices[i * k + s];
                Assert.NotEqual(i, j);
                double sum = 0;
                for (int t = 0; t < d; t++) { double diff = x[i * d + t] - x[j * d + t]; sum += diff * diff; }
                Assert.Equal(Math.Sqrt(sum), approx.Distances[i * k + s], 1e-3);
                if (s > 0) Assert.True(approx.Distances[i * k + s] >= approx.Distances[i * k + s - 1]);
            }
    }

    [Fact]
    public void SameSeedSameGraphWhateverTheThreads()
    {
        int n = 3000, d = 16, k = 10;
        var x = Mixture(n, d, 5, 3);
        var a = NnDescent.Build(x, n, d, k, new NnDescent.Options { Seed = 5, Threads = 1 });
        var b = NnDescent.Build(x, n, d, k, new NnDescent.Options { Seed = 5, Threads = 4 });
        Assert.Equal(a.Indices, b.Indices);
        Assert.Equal(a.Distances, b.Distances);
        Assert.True(Recall(a, KnnGraph.Exact(x, n, d, k)) > 0.95);
    }

    [Fact]
    public void DuplicatePointsDoNotBreakIt()
    {
        int n = 500, d = 4, k = 5;
        var x = new float[n * d];
        for (int i = 0; i < n; i++) x[i * d] = i % 7; // only seven distinct points
        var g = NnDescent.Build(x, n, d, k);
        for (int i = 0; i < n; i++)
            for (int s = 0; s < k; s++) { Assert.NotEqual(i, g.Indices[i * k + s]); Assert.Equal(0f, g.Distances[i * k + s]); }
    }
}
