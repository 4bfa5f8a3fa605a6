using HeadAtlas.Projection;

namespace HeadAtlas.Projection.Tests;

public class TsneTests
{
    /// <summary>c Gaussian clusters in d dims, centres far apart. Returns data [n, d] and labels [n].</summary>
    internal static (float[] Data, int[] Labels) Clusters(int n, int d, int c, double separation, int seed)
    {
        var rng = new Random(seed);
        var centres = new double[c * d];
        for (int t = 0; t < centres.Length; t++) centres[t] = PcaTests.Gauss(rng) * separation;
        var data = new float[n * d];
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            labels[i] = i % c;
            for (int t = 0; t < d; t++) data[i * d + t] = (float)(centres[labels[i] * d + t] + PcaTests.Gauss(rng));
        }
        return (data, labels);
    }

    /// <summary>Fraction of points whose nearest neighbour in y [n, dims] has the same label (brute force).</summary>
    internal static double NearestNeighbourAccuracy(float[] y, int n, int dims, int[] labels)
    {
        int hits = 0;
        for (int i = 0; i < n; i++)
        {
            int best = -1; double bestD = double.MaxValue;
            for (int j = 0; j < n; j++)
            {
                if (j == i) continue;
                double s = 0;
                for (int a = 0; a < dims; a++) { double diff = y[i * dims + a] - y[j * dims + a]; s += diff * diff; }
                if (s < bestD) { bestD = s; best = j; }
            }
            if (labels[best] == labels[i]) hits++;
        }
        return hits / (double)n;
    }

    [Fact]
    public void CalibrationWithMoreDuplicatesThanThePerplexityStaysFinite()
    {
        // Eight neighbours at distance 0 (duplicate points) and seven farther ones: with perplexity 5 no β reaches the
        // target entropy (it stays ≥ log 8); the answer is the limit β → ∞: uniform over the duplicates.
        var sq = Enumerable.Repeat(0.0, 8).Concat(Enumerable.Range(1, 7).Select(i => 1e-3 * i)).ToArray();
        var p = new double[sq.Length];
        var (beta, entropy) = TsneAffinities.Calibrate(sq, 5, p);
        Assert.True(double.IsFinite(beta) && double.IsFinite(entropy));
        Assert.All(p, v => Assert.True(double.IsFinite(v)));
        for (int j = 0; j < 8; j++) Assert.Equal(1.0 / 8, p[j], 1e-9);
        for (int j = 8; j < sq.Length; j++) Assert.Equal(0.0, p[j], 1e-9);
    }

    [Theory]
    [InlineData(5.0)]
    [InlineData(30.0)]
    [InlineData(2.5)]
    public void CalibrationHitsTargetEntropy(double perplexity)
    {
        var rng = new Random(1);
        var sq = Enumerable.Range(0, 90).Select(_ => rng.NextDouble() * 50 + 3).ToArray();
        var p = new double[sq.Length];
        var (beta, entropy) = TsneAffinities.Calibrate(sq, perplexity, p);
        Assert.Equal(Math.Log(perplexity), entropy, 1e-4);
        // Independent check of the returned distribution: normalized, Gaussian in the distance, and its entropy.
        Assert.Equal(1.0, p.Sum(), 1e-12);
        double h = -p.Where(v => v > 0).Sum(v => v * Math.Log(v));
        Assert.Equal(Math.Log(perplexity), h, 1e-4);
        Assert.Equal(Math.Exp(-beta * (sq[0] - sq[1])), p[0] / p[1], 1e-9);
    }

    [Fact]
    public void AffinitiesAreSymmetricAndSumToOne()
    {
        var (data, _) = Clusters(200, 5, 3, 4, 2);
        var graph = KnnGraph.Exact(data, 200, 5, 30);
        var p = TsneAffinities.FromKnn(graph, 10);
        Assert.Equal(1.0, p.Values.Sum(), 1e-9);
        var dict = new Dictionary<(int, int), double>();
        for (int i = 0; i < p.N; i++)
            for (int e = p.RowStart[i]; e < p.RowStart[i + 1]; e++) dict[(i, p.Columns[e])] = p.Values[e];
        foreach (var ((i, j), v) in dict) Assert.Equal(v, dict[(j, i)], 15);

        // Independently: pᵢⱼ = (pⱼ|ᵢ + pᵢ|ⱼ) / 2n from each row's own calibration, over exactly the kNN pairs.
        var expected = new Dictionary<(int, int), double>();
        for (int i = 0; i < 200; i++)
        {
            var sq = Enumerable.Range(0, 30).Select(s => (double)graph.Distances[i * 30 + s] * graph.Distances[i * 30 + s]).ToArray();
            var cond = new double[30];
            TsneAffinities.Calibrate(sq, 10, cond);
            for (int s = 0; s < 30; s++)
            {
                int j = graph.Indices[i * 30 + s];
                expected[(i, j)] = expected.GetValueOrDefault((i, j)) + cond[s] / 400;
                expected[(j, i)] = expected.GetValueOrDefault((j, i)) + cond[s] / 400;
            }
        }
        Assert.Equal(expected.Count, dict.Count);
        foreach (var (key, v) in expected) Assert.Equal(v, dict[key], 15);
        for (int i = 0; i < p.N; i++)
            for (int e = p.RowStart[i] + 1; e < p.RowStart[i + 1]; e++) Assert.True(p.Columns[e] > p.Columns[e - 1]);
    }

    /// <summary>Reference: Σⱼ q²ᵢⱼ(yᵢ − yⱼ) and Z by the exact O(n²) double sums.</summary>
    internal static (double[] Rep, double Z) ExactRepulsion(double[] y, int n, int dims)
    {
        var rep = new double[n * dims];
        double z = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                if (i == j) continue;
                double r2 = 0;
                for (int a = 0; a < dims; a++) { double diff = y[i * dims + a] - y[j * dims + a]; r2 += diff * diff; }
                double q = 1 / (1 + r2);
                z += q;
                for (int a = 0; a < dims; a++) rep[i * dims + a] += q * q * (y[i * dims + a] - y[j * dims + a]);
            }
        return (rep, z);
    }

    // Interpolation error grows with the box width relative to the point spacing: a dense cloud (t-SNE's case) is
    // accurate with boxes of width 1 (FIt-SNE's default); a sparse, wide one needs narrower boxes. nearPairs > 0 lets
    // the grid stop growing and split the kernel (exact near part, smooth far part on wide boxes): then a wide cloud
    // is accurate on a small grid.
    [Theory]
    [InlineData(800, 0.01, 1.0, 0.0)]
    [InlineData(800, 3.0, 1.0, 0.0)]
    [InlineData(800, 40.0, 0.5, 0.0)]
    [InlineData(800, 3.0, 1.0, 30.0)]
    [InlineData(2000, 30.0, 1.0, 30.0)]
    [InlineData(2000, 60.0, 1.0, 60.0)]
    public void FftRepulsionMatchesExactSums(int n, double spread, double maxBoxWidth, double nearPairs)
    {
        var rng = new Random(5);
        var y = new double[2 * n];
        for (int t = 0; t < y.Length; t++) y[t] = PcaTests.Gauss(rng) * spread + (t % 2 == 0 && t % 8 == 0 ? spread : 0);
        var (refRep, refZ) = ExactRepulsion(y, n, 2);
        var rep = new double[2 * n];
        var fft = new FftRepulsion2D(new ParallelOptions { MaxDegreeOfParallelism = 2 }) { MaxBoxWidth = maxBoxWidth, NearPairsTarget = nearPairs };
        double z = fft.Compute(y, n, rep);
        if (nearPairs > 0 && spread >= 30) Assert.True(fft.LastSize <= 192 && fft.NearRadius > 1, $"grid {fft.LastSize}, r_c {fft.NearRadius}");
        Assert.Equal(refZ, z, refZ * 5e-3);
        double err = 0, norm = 0;
        for (int t = 0; t < rep.Length; t++) { err += (rep[t] - refRep[t]) * (rep[t] - refRep[t]); norm += refRep[t] * refRep[t]; }
        Assert.True(Math.Sqrt(err / norm) < 1e-2, $"relative force error {Math.Sqrt(err / norm)}");
    }

    [Fact]
    public void SplitFftRepulsionIsTheSameWhateverTheThreads()
    {
        int n = 3000;
        var rng = new Random(7);
        var y = new double[2 * n];
        for (int t = 0; t < y.Length; t++) y[t] = PcaTests.Gauss(rng) * 25;
        var results = new[] { 1, 2, 3 }.Select(threads =>
        {
            var fft = new FftRepulsion2D(new ParallelOptions { MaxDegreeOfParallelism = threads });
            var rep = new double[2 * n];
            double z = fft.Compute(y, n, rep);
            Assert.True(fft.NearRadius > 0); // the split is in use
            return (z, rep);
        }).ToList();
        foreach (var (z, rep) in results.Skip(1))
        {
            Assert.Equal(results[0].z, z);
            Assert.Equal(results[0].rep, rep);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FarKernelIsTheKernelBeyondTheSplitAndSmoothAtIt(bool squared)
    {
        double sc = 7.3;
        double K(double s) => squared ? 1 / ((1 + s) * (1 + s)) : 1 / (1 + s);
        foreach (double s in new[] { 7.3, 8.0, 50.0 }) Assert.Equal(K(s), FftRepulsion2D.FarKernel(s, sc, squared), 15);
        // Value, first and second derivative in s continuous at s_c (one-sided finite differences from inside).
        double h = 1e-3;
        double inside(double ds) => FftRepulsion2D.FarKernel(sc - ds, sc, squared);
        double outside(double ds) => K(sc + ds);
        Assert.Equal(outside(0), inside(1e-12), 12);
        Assert.Equal((outside(h) - outside(0)) / h, (inside(0) - inside(h)) / h, 4);
        Assert.Equal((outside(2 * h) - 2 * outside(h) + outside(0)) / (h * h), (inside(2 * h) - 2 * inside(h) + inside(0)) / (h * h), 3);
        Assert.Equal(K(0), FftRepulsion2D.FarKernel(0, 0, squared), 15); // no split: the kernel itself
        Assert.True(FftRepulsion2D.FarKernel(0, sc, squared) < K(0));      // the cap is lower than the peak it replaces
    }

    [Fact]
    public void BarnesHutRepulsionMatchesExactSums()
    {
        int n = 700;
        var rng = new Random(6);
        var y = new double[3 * n];
        for (int t = 0; t < y.Length; t++) y[t] = PcaTests.Gauss(rng) * 5;
        var (refRep, refZ) = ExactRepulsion(y, n, 3);
        var rep = new double[3 * n];
        var bh = new BarnesHutRepulsion(new ParallelOptions()) { Theta = 0.2 };
        double z = bh.Compute(y, n, rep);
        Assert.Equal(refZ, z, refZ * 2e-3);
        double err = 0, norm = 0;
        for (int t = 0; t < rep.Length; t++) { err += (rep[t] - refRep[t]) * (rep[t] - refRep[t]); norm += refRep[t] * refRep[t]; }
        Assert.True(Math.Sqrt(err / norm) < 1e-2, $"relative force error {Math.Sqrt(err / norm)}");
    }

    // exactBelow 0 forces the approximate repulsion (FFT grid in 2D, Barnes-Hut in 3D) even for this small n.
    [Theory]
    [InlineData(2, 0)]
    [InlineData(3, 0)]
    [InlineData(2, 2500)]
    public void SeparatedClustersStaySeparated(int dims, int exactBelow)
    {
        int n = 600, d = 20;
        var (data, labels) = Clusters(n, d, 6, 6, 7);
        var y = Tsne.Embed(data, n, d, new TsneOptions { Dims = dims, Perplexity = 20, Iterations = 500, Seed = 1, ExactRepulsionMaxPoints = exactBelow });
        Assert.Equal(n * dims, y.Length);
        Assert.All(y, v => Assert.True(float.IsFinite(v)));
        Assert.True(NearestNeighbourAccuracy(y, n, dims, labels) >= 0.99);
    }

    [Fact]
    public void SameSeedGivesSameBitsWhateverTheThreads()
    {
        int n = 700, d = 10;
        var (data, _) = Clusters(n, d, 4, 5, 8);
        foreach (int exactBelow in new[] { 0, 2500 }) // FFT path and exact path
        {
            var a = Tsne.Embed(data, n, d, new TsneOptions { Iterations = 300, Seed = 3, Threads = 1, ExactRepulsionMaxPoints = exactBelow });
            var b = Tsne.Embed(data, n, d, new TsneOptions { Iterations = 300, Seed = 3, Threads = 2, ExactRepulsionMaxPoints = exactBelow });
            var c = Tsne.Embed(data, n, d, new TsneOptions { Iterations = 300, Seed = 3, Threads = 2, ExactRepulsionMaxPoints = exactBelow });
            // 4 threads: the FFT path's tasks (far field, attraction halves) each get two threads of their own.
            var e = Tsne.Embed(data, n, d, new TsneOptions { Iterations = 300, Seed = 3, Threads = 4, ExactRepulsionMaxPoints = exactBelow });
            Assert.Equal(a, b);
            Assert.Equal(b, c);
            Assert.Equal(a, e);
        }
    }

    [Fact]
    public void SharedGraphWithMoreNeighboursGivesTheSameEmbedding()
    {
        // A graph built with extra neighbours (e.g. for UMAP as well) must give exactly what Embed builds itself:
        // only the nearest ⌊3·perplexity⌋ are used.
        int n = 400, d = 8;
        var (data, _) = Clusters(n, d, 4, 5, 11);
        var options = new TsneOptions { Perplexity = 10, Iterations = 200, Seed = 4, Threads = 2 };
        var own = Tsne.Embed(data, n, d, options);
        var wide = KnnGraph.Build(data, n, d, 45);
        var shared = Tsne.Embed(wide, data, d, options);
        Assert.Equal(own, shared);
        Assert.Throws<ArgumentException>(() => Tsne.Embed(KnnGraph.Build(data, n, d, 20), data, d, options)); // needs 30
        Assert.Throws<ArgumentException>(() => Tsne.Embed(wide, data.AsSpan(0, 10 * d), d, options));     // data of another size
    }

    [Fact]
    public void TinyInputGetsALowerPerplexityInsteadOfFailing()
    {
        var (data, _) = Clusters(8, 3, 2, 5, 4);
        var y = Tsne.Embed(data, 8, 3, new TsneOptions { Perplexity = 30, Iterations = 100 });
        Assert.Equal(16, y.Length);
        Assert.All(y, v => Assert.True(float.IsFinite(v)));
        Assert.Throws<ArgumentException>(() => Tsne.Embed(data, 3, 3, new TsneOptions()));
    }

    [Fact]
    public void KlDivergenceDecreases()
    {
        int n = 500, d = 10;
        var (data, _) = Clusters(n, d, 5, 3, 9);
        var options = new TsneOptions { Iterations = 600, Seed = 2, Perplexity = 25 };
        var graph = KnnGraph.Exact(data, n, d, 75);
        var p = TsneAffinities.FromKnn(graph, options.Perplexity);
        var init = Tsne.InitialPositions(data, n, d, 2, options.Seed);
        var kl = new List<double>();
        Tsne.Optimize(p, init, options, onIteration: (iter, y) =>
        {
            if (iter % 100 == 99) kl.Add(Tsne.KlDivergence(p, y.Select(v => (float)v).ToArray(), 2));
        });
        double klInit = Tsne.KlDivergence(p, init, 2);
        // After early exaggeration (iterations 250+) the plain KL must keep falling; overall far below the start.
        Assert.True(kl[^1] < 0.5 * klInit, $"KL {klInit} → {kl[^1]}");
        for (int t = 3; t < kl.Count; t++) Assert.True(kl[t] <= kl[t - 1] + 1e-3, $"KL rose: {string.Join(", ", kl)}");
    }
}
