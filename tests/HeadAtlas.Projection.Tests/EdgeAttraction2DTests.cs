using HeadAtlas.Projection;
using static HeadAtlas.Projection.Tests.AttractionReference;

namespace HeadAtlas.Projection.Tests;

public class EdgeAttraction2DTests
{
    // 3000 points, P from perplexity 30 over ~90 exact neighbours (rows of ~90–180 entries): the edge-once path is
    // taken and each component is within 1e-5 of the double sum. The error is measured against Σⱼ|termⱼ| of the
    // component because attraction sums cancel: a component near zero carries the rounding of its large terms.
    [Fact]
    public void MatchesDoubleReferenceOnKnnAffinities()
    {
        int n = 3000;
        var p = KnnAffinities(n, 21);
        Assert.True(p.RowStart[n] > 80 * n, $"only {p.RowStart[n]} entries");
        foreach (double spread in new[] { 0.5, 20.0 }) // early iterations (all q ≈ 1) and a spread-out layout
        {
            var y = RandomPositions(n, 2, spread, 7);
            var (reference, scale) = Reference(p, y, 2);
            var attraction = new TsneAttraction(p, 2);
            Assert.True(attraction.EdgesOnce);
            var attr = new double[2 * n];
            attraction.Compute(y, attr, OneThread);
            double worst = WorstError(attr, reference, scale);
            Assert.True(worst < 1e-5, $"spread {spread}: worst relative error {worst:E2}");
            // The plain relative error of the whole force field as well.
            double err = 0, norm = 0;
            for (int t = 0; t < attr.Length; t++) { err += (attr[t] - reference[t]) * (attr[t] - reference[t]); norm += reference[t] * reference[t]; }
            Assert.True(Math.Sqrt(err / norm) < 1e-6, $"spread {spread}: relative error {Math.Sqrt(err / norm):E2}");
        }
    }

    // The full-row path (the fallback for an asymmetric P) on the same long rows, and both paths agree.
    [Fact]
    public void FullRowPathMatchesReference()
    {
        int n = 3000;
        var p = KnnAffinities(n, 21);
        var y = RandomPositions(n, 2, 20, 7);
        var (reference, scale) = Reference(p, y, 2);
        var rows = new TsneAttraction(p, 2, edgesOnce: false);
        Assert.False(rows.EdgesOnce);
        var attr = new double[2 * n];
        rows.Compute(y, attr, OneThread);
        double worst = WorstError(attr, reference, scale);
        Assert.True(worst < 1e-5, $"worst relative error {worst:E2}");
    }

    [Fact]
    public void SameBitsWithAnyThreadCount()
    {
        int n = 3000;
        var p = KnnAffinities(n, 5);
        var y = RandomPositions(n, 2, 10, 9);
        var attraction = new TsneAttraction(p, 2);
        Assert.True(attraction.EdgesOnce);
        double[] Run(int threads)
        {
            var attr = new double[2 * n];
            attraction.Compute(y, attr, new ParallelOptions { MaxDegreeOfParallelism = threads });
            return attr;
        }
        var one = Run(1);
        Assert.Equal(one, Run(2));
        Assert.Equal(one, Run(4));
        Assert.Equal(one, Run(1)); // buffers are cleared between calls
    }

    // A small hand-made symmetric P: rows with no entry above the diagonal, one, and a few (the padding to whole
    // vectors of four), and a stored zero on the diagonal.
    [Fact]
    public void HandMadeSymmetricMatrix()
    {
        int n = 7;
        var entries = new SortedDictionary<(int, int), double>
        {
            [(0, 1)] = 0.1, [(0, 5)] = 0.02, [(1, 2)] = 0.3, [(1, 3)] = 0.05, [(1, 4)] = 0.07, [(1, 6)] = 0.01,
            [(2, 6)] = 0.2, [(3, 3)] = 0, [(4, 5)] = 0.15,
        };
        var p = FromEntries(n, entries, symmetric: true);
        Assert.True(UpperEdges.IsSymmetric(p));
        var y = RandomPositions(n, 2, 3, 1);
        var (reference, scale) = Reference(p, y, 2);
        var attraction = new TsneAttraction(p, 2);
        Assert.True(attraction.EdgesOnce);
        var attr = new double[2 * n];
        attraction.Compute(y, attr, OneThread);
        Assert.True(WorstError(attr, reference, scale) < 1e-6);
    }

    // Not symmetric (a value differs, or a partner is missing): the full-row path, still right.
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AsymmetricMatrixFallsBackToRows(bool differentValue)
    {
        int n = 6;
        var entries = new SortedDictionary<(int, int), double>
        {
            [(0, 1)] = 0.1, [(0, 4)] = 0.02, [(1, 2)] = 0.3, [(2, 5)] = 0.2, [(3, 4)] = 0.15,
        };
        var p = FromEntries(n, entries, symmetric: true);
        var columns = p.Columns.ToList(); var values = p.Values.ToList(); var rowStart = (int[])p.RowStart.Clone();
        if (differentValue) values[p.RowStart[4]] += 1e-12; // (4, 0) no longer equals (0, 4)
        else
        {
            columns.RemoveAt(p.RowStart[5]); values.RemoveAt(p.RowStart[5]); // drop (5, 2)
            rowStart[6]--;
        }
        var asymmetric = new SparseAffinities(n, rowStart, columns.ToArray(), values.ToArray());
        Assert.False(UpperEdges.IsSymmetric(asymmetric));
        var y = RandomPositions(n, 2, 3, 2);
        var (reference, scale) = Reference(asymmetric, y, 2);
        var attraction = new TsneAttraction(asymmetric, 2);
        Assert.False(attraction.EdgesOnce);
        var attr = new double[2 * n];
        attraction.Compute(y, attr, OneThread);
        Assert.True(WorstError(attr, reference, scale) < 1e-6);
    }

    /// <summary>CSR with ascending columns from (row, column) → value; symmetric: each entry also stored transposed.</summary>
    private static SparseAffinities FromEntries(int n, SortedDictionary<(int, int), double> entries, bool symmetric)
    {
        var all = new SortedDictionary<(int, int), double>(entries);
        if (symmetric) foreach (var ((i, j), v) in entries) all[(j, i)] = v;
        var rowStart = new int[n + 1];
        foreach (var ((i, _), _) in all) rowStart[i + 1]++;
        for (int i = 0; i < n; i++) rowStart[i + 1] += rowStart[i];
        return new SparseAffinities(n, rowStart, all.Keys.Select(key => key.Item2).ToArray(), all.Values.ToArray());
    }
}
