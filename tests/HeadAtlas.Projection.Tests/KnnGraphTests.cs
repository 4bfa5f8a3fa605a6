using HeadAtlas.Projection;

namespace HeadAtlas.Projection.Tests;

public class KnnGraphTests
{
    [Theory]
    [InlineData(301, 13, 10, 2)]
    [InlineData(64, 8, 63, 1)]
    [InlineData(1000, 32, 30, 0)]
    public void MatchesBruteForceInDouble(int n, int d, int k, int threads)
    {
        var rng = new Random(n + d);
        var x = new float[n * d];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(PcaTests.Gauss(rng) * (1 + i % d));
        var graph = KnnGraph.Exact(x, n, d, k, threads);

        for (int i = 0; i < n; i++)
        {
            // Reference: all distances in double, sorted by (distance, index).
            var reference = Enumerable.Range(0, n).Where(j => j != i).Select(j =>
            {
                double s = 0;
                for (int t = 0; t < d; t++) { double diff = (double)x[i * d + t] - x[j * d + t]; s += diff * diff; }
                return (Dist: Math.Sqrt(s), Index: j);
            }).OrderBy(p => p.Dist).ThenBy(p => p.Index).Take(k + 1).ToArray();
            for (int s = 0; s < k; s++)
            {
                Assert.Equal(reference[s].Dist, graph.Distances[i * k + s], reference[s].Dist * 1e-5 + 1e-6);
                bool nearTie = (s > 0 && reference[s].Dist - reference[s - 1].Dist < 1e-4 * reference[s].Dist)
                               || reference[s + Math.Min(1, reference.Length - 1 - s)].Dist - reference[s].Dist < 1e-4 * reference[s].Dist;
                if (!nearTie) Assert.Equal(reference[s].Index, graph.Indices[i * k + s]);
            }
        }
    }

    [Fact]
    public void DuplicatePointsAreNeighboursAtZeroDistance()
    {
        var x = new float[] { 0, 0, 1, 1, 0, 0, 5, 5, 1, 1 }; // [5, 2]: points 0 and 2 coincide, as do 1 and 4
        var graph = KnnGraph.Exact(x, 5, 2, 1);
        Assert.Equal(new[] { 2, 4, 0, 1, 1 }, graph.Indices);
        Assert.Equal(0f, graph.Distances[0]);
        Assert.Equal(0f, graph.Distances[1]);
    }

    [Theory]
    [InlineData(1500, 64, 90, 2)] // several candidate chunks and panels (d = 64: 624 candidates per chunk)
    [InlineData(301, 5, 40, 1)]
    public void TiesBreakByLowerIndexExactly(int n, int d, int k, int threads)
    {
        // Small integer coordinates: every distance is exact in float and most are tied, so the neighbour lists must
        // match a brute-force reference ordered by (distance, index) exactly, index for index.
        var rng = new Random(n);
        var x = new float[n * d];
        for (int i = 0; i < x.Length; i++) x[i] = rng.Next(3);
        var graph = KnnGraph.Exact(x, n, d, k, threads);
        for (int i = 0; i < n; i++)
        {
            var reference = Enumerable.Range(0, n).Where(j => j != i).Select(j =>
            {
                int s = 0;
                for (int t = 0; t < d; t++) { int diff = (int)x[i * d + t] - (int)x[j * d + t]; s += diff * diff; }
                return (Squared: s, Index: j);
            }).OrderBy(p => p.Squared).ThenBy(p => p.Index).Take(k).ToArray();
            for (int s = 0; s < k; s++)
            {
                Assert.Equal(reference[s].Index, graph.Indices[i * k + s]);
                Assert.Equal((float)Math.Sqrt(reference[s].Squared), graph.Distances[i * k + s]);
            }
        }
    }

    [Fact]
    public void SameGraphWhateverTheThreads()
    {
        var (data, _) = TsneTests.Clusters(2000, 24, 7, 3, 5);
        var one = KnnGraph.Exact(data, 2000, 24, 30, 1);
        var two = KnnGraph.Exact(data, 2000, 24, 30, 2);
        Assert.Equal(one.Indices, two.Indices);
        Assert.Equal(one.Distances, two.Distances);
    }

    [Fact]
    public void NonFiniteDataIsRejected()
    {
        var x = new float[] { 0, 0, 1, 1, float.NaN, 0, 5, 5 }; // [4, 2]
        Assert.Throws<ArgumentException>(() => KnnGraph.Exact(x, 4, 2, 2));
    }
}
