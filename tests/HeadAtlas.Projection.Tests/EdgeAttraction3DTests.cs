using HeadAtlas.Projection;
using static HeadAtlas.Projection.Tests.AttractionReference;

namespace HeadAtlas.Projection.Tests;

public class EdgeAttraction3DTests
{
    // 3000 points, P from perplexity 30 over ~90 exact neighbours: the edge-once path is taken and each component is
    // within 1e-5 of the double sum (relative to Σⱼ|termⱼ| of the component: attraction sums cancel).
    [Fact]
    public void MatchesDoubleReferenceOnKnnAffinities()
    {
        int n = 3000;
        var p = KnnAffinities(n, 21);
        Assert.True(p.RowStart[n] > 80 * n, $"only {p.RowStart[n]} entries");
        foreach (double spread in new[] { 0.5, 20.0 }) // early iterations (all q ≈ 1) and a spread-out layout
        {
            var y = RandomPositions(n, 3, spread, 7);
            var (reference, scale) = Reference(p, y, 3);
            var attraction = new TsneAttraction(p, 3);
            Assert.True(attraction.EdgesOnce);
            var attr = new double[3 * n];
            attraction.Compute(y, attr, OneThread);
            double worst = WorstError(attr, reference, scale);
            Assert.True(worst < 1e-5, $"spread {spread}: worst relative error {worst:E2}");
            double err = 0, norm = 0;
            for (int t = 0; t < attr.Length; t++) { err += (attr[t] - reference[t]) * (attr[t] - reference[t]); norm += reference[t] * reference[t]; }
            Assert.True(Math.Sqrt(err / norm) < 1e-6, $"spread {spread}: relative error {Math.Sqrt(err / norm):E2}");
        }
    }

    // The full-row path (AVX2 gathers, the fallback for an asymmetric P) on the same rows, and both agree with the reference.
    [Fact]
    public void FullRowPathMatchesReference()
    {
        int n = 3000;
        var p = KnnAffinities(n, 21);
        var y = RandomPositions(n, 3, 20, 7);
        var (reference, scale) = Reference(p, y, 3);
        var rows = new TsneAttraction(p, 3, edgesOnce: false);
        Assert.False(rows.EdgesOnce);
        var attr = new double[3 * n];
        rows.Compute(y, attr, OneThread);
        Assert.True(WorstError(attr, reference, scale) < 1e-5);
    }

    [Fact]
    public void SameBitsWithAnyThreadCount()
    {
        int n = 3000;
        var p = KnnAffinities(n, 5);
        var y = RandomPositions(n, 3, 10, 9);
        var attraction = new TsneAttraction(p, 3);
        Assert.True(attraction.EdgesOnce);
        double[] Run(int threads)
        {
            var attr = new double[3 * n];
            attraction.Compute(y, attr, new ParallelOptions { MaxDegreeOfParallelism = threads });
            return attr;
        }
        var one = Run(1);
        Assert.Equal(one, Run(2));
        Assert.Equal(one, Run(4));
        Assert.Equal(one, Run(1)); // buffers are cleared between calls
    }

    // A small hand-made symmetric P: rows with no entry above the diagonal, one, and several (the padding to whole
    // steps of four), and a stored zero on the diagonal.
    [Fact]
    public void HandMadeSymmetricMatrix()
    {
        int n = 8;
        var entries = new SortedDictionary<(int, int), double>
        {
            [(0, 1)] = 0.1, [(0, 5)] = 0.02, [(1, 2)] = 0.3, [(1, 3)] = 0.05, [(1, 4)] = 0.07, [(1, 6)] = 0.01,
            [(1, 7)] = 0.04, [(2, 6)] = 0.2, [(3, 3)] = 0, [(4, 5)] = 0.15,
        };
        var all = new SortedDictionary<(int, int), double>(entries);
        foreach (var ((i, j), v) in entries) all[(j, i)] = v;
        var rowStart = new int[n + 1];
        foreach (var ((i, _), _) in all) rowStart[i + 1]++;
        for (int i = 0; i < n; i++) rowStart[i + 1] += rowStart[i];
        var p = new SparseAffinities(n, rowStart, all.Keys.Select(key => key.Item2).ToArray(), all.Values.ToArray());
        var y = RandomPositions(n, 3, 3, 1);
        var (reference, scale) = Reference(p, y, 3);
        var attraction = new TsneAttraction(p, 3);
        Assert.True(attraction.EdgesOnce);
        var attr = new double[3 * n];
        attraction.Compute(y, attr, OneThread);
        Assert.True(WorstError(attr, reference, scale) < 1e-6);
    }
}
