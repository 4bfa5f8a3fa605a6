using HeadAtlas.Projection;

namespace HeadAtlas.Projection.Tests;

public class EdgeAttraction3DTests
{
    private static readonly ParallelOptions OneThread = new() { MaxDegreeOfParallelism = 1 };

    /// <summary>Σⱼ pᵢⱼ (yᵢ − yⱼ)/(1+‖yᵢ−yⱼ‖²) in double over every stored entry, and per component the sum of the
    /// terms' magnitudes (the scale float rounding errors grow with). y, result and scale: [n, 3].</summary>
    private static (double[] Sum, double[] Scale) Reference(SparseAffinities p, double[] y)
    {
        var sum = new double[3 * p.N]; var scale = new double[3 * p.N];
        for (int i = 0; i < p.N; i++)
            for (int e = p.RowStart[i]; e < p.RowStart[i + 1]; e++)
            {
                int j = p.Columns[e];
                double d0 = y[3 * i] - y[3 * j], d1 = y[3 * i + 1] - y[3 * j + 1], d2 = y[3 * i + 2] - y[3 * j + 2];
                double w = p.Values[e] / (1 + d0 * d0 + d1 * d1 + d2 * d2);
                sum[3 * i] += w * d0; sum[3 * i + 1] += w * d1; sum[3 * i + 2] += w * d2;
                scale[3 * i] += Math.Abs(w * d0); scale[3 * i + 1] += Math.Abs(w * d1); scale[3 * i + 2] += Math.Abs(w * d2);
            }
        return (sum, scale);
    }

    private static double[] RandomPositions(int n, double spread, int seed)
    {
        var rng = new Random(seed);
        var y = new double[3 * n]; // [n, 3]
        for (int t = 0; t < y.Length; t++) y[t] = PcaTests.Gauss(rng) * spread;
        return y;
    }

    private static SparseAffinities KnnAffinities(int n, int seed)
    {
        var (data, _) = TsneTests.Clusters(n, 10, 6, 4, seed);
        int k = Tsne.NeighboursNeeded(n, 30);
        return TsneAffinities.FromKnn(KnnGraph.Exact(data, n, 10, k), 30);
    }

    /// <summary>Largest |computed − reference| per component, relative to the component's Σ|terms|.</summary>
    private static double WorstError(double[] attr, double[] reference, double[] scale)
    {
        double worst = 0;
        for (int t = 0; t < attr.Length; t++)
            if (scale[t] > 0) worst = Math.Max(worst, Math.Abs(attr[t] - reference[t]) / scale[t]);
            else Assert.Equal(0.0, attr[t]);
        return worst;
    }

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
            var y = RandomPositions(n, spread, 7);
            var (reference, scale) = Reference(p, y);
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
        var y = RandomPositions(n, 20, 7);
        var (reference, scale) = Reference(p, y);
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
        var y = RandomPositions(n, 10, 9);
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
        var y = RandomPositions(n, 3, 1);
        var (reference, scale) = Reference(p, y);
        var attraction = new TsneAttraction(p, 3);
        Assert.True(attraction.EdgesOnce);
        var attr = new double[3 * n];
        attraction.Compute(y, attr, OneThread);
        Assert.True(WorstError(attr, reference, scale) < 1e-6);
    }
}
