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
}
