namespace HeadAtlas.Projection;

/// <summary>Options for <see cref="Umap"/>; defaults as umap-learn.</summary>
public sealed record UmapOptions
{
    public int Dims { get; init; } = 2;
    /// <summary>n_neighbors, counting the point itself as umap-learn does (so the kNN graph has Neighbors − 1).</summary>
    public int Neighbors { get; init; } = 15;
    public double MinDist { get; init; } = 0.1;
    public double Spread { get; init; } = 1;
    /// <summary>SGD epochs; 0 = automatic: 500 up to 10 000 points, 200 beyond (umap-learn's rule).</summary>
    public int Epochs { get; init; } = 0;
    public int NegativeSampleRate { get; init; } = 5;
    public double LearningRate { get; init; } = 1;
    public int Seed { get; init; } = 0;
    /// <summary>Threads to use; 0 = all cores. The output does not depend on it.</summary>
    public int Threads { get; init; } = 0;
    /// <summary>Optional starting positions [n, Dims]; default: PCA scaled to a largest coordinate of 10, plus 1e-4 noise.</summary>
    public float[]? Initialization { get; init; }

    public int EpochsFor(int n) => Epochs > 0 ? Epochs : n <= 10_000 ? 500 : 200;
}

/// <summary>
/// UMAP (McInnes, Healy, Melville 2018) of row-major [n, d] float data with euclidean input distances: kNN graph
/// (<see cref="KnnGraph.Build"/>), fuzzy simplicial set (<see cref="UmapGraph"/>), curve parameters a, b
/// (<see cref="UmapCurve"/>), PCA start, then SGD on the fuzzy cross-entropy with negative sampling: each edge is
/// sampled in proportion to its weight, with <see cref="UmapOptions.NegativeSampleRate"/> random repulsions per sample,
/// learning rate decaying linearly to 0.
///
/// Deterministic and multi-threaded: umap-learn moves both ends of an edge at once, "Hogwild" in parallel, which makes
/// the result depend on thread timing. Here each epoch reads the other points' positions from a snapshot taken at the
/// start of the epoch and moves only the row's own point (applying the attraction twice, since umap-learn moves both
/// ends of each of the two directed copies of an edge); negative samples come from a random stream per (seed, epoch, point).
/// So rows are independent within an epoch and the output is the same for a seed whatever the thread count.
/// The rows' steps are taken by <see cref="UmapSgd"/> (rows in the lanes of a vector, a vectorized pow).
/// </summary>
public static class Umap
{
    public static void Validate(int n, UmapOptions options)
    {
        if (options.Dims is not (2 or 3)) throw new ArgumentException($"UMAP dims must be 2 or 3 (got {options.Dims})");
        if (n < 4) throw new ArgumentException($"UMAP needs at least 4 points (got {n})");
        if (options.Neighbors < 2 || options.Neighbors > n) throw new ArgumentException($"n_neighbors {options.Neighbors} is out of range for {n} points: it must be in 2..n = {n}");
        if (!(options.MinDist >= 0) || options.MinDist > options.Spread) throw new ArgumentException($"min_dist must be in [0, spread = {options.Spread}] (got {options.MinDist})");
        if (options.Epochs < 0) throw new ArgumentException("epochs must be ≥ 0");
    }

    /// <summary>Returns the embedding [n, Dims]. <paramref name="progress"/> receives the epoch number.</summary>
    // Optimized from the first call, so locals die at their last use (see Tsne.Embed).
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static float[] Embed(ReadOnlySpan<float> data, int n, int d, UmapOptions options, IProgress<int>? progress = null, CancellationToken cancel = default)
    {
        Validate(n, options);
        var knn = KnnGraph.Build(data, n, d, options.Neighbors - 1, options.Threads, options.Seed);
        return Embed(knn, data, d, options, progress, cancel);
    }

    /// <summary>
    /// As <see cref="Embed(ReadOnlySpan{float}, int, int, UmapOptions, IProgress{int}?, CancellationToken)"/>, from a kNN
    /// graph built beforehand (e.g. one graph per head shared with t-SNE). The graph may hold more neighbours than
    /// n_neighbors − 1: the nearest n_neighbors − 1 of each point are used, so an exact graph of any larger k gives the
    /// same embedding as the per-call path. <paramref name="data"/> [n, d] gives the PCA start.
    /// </summary>
    // Optimized from the first call, so locals die at their last use (see Tsne.Embed).
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static float[] Embed(KnnGraph knn, ReadOnlySpan<float> data, int d, UmapOptions options, IProgress<int>? progress = null, CancellationToken cancel = default)
    {
        int n = knn.N;
        Validate(n, options);
        if (data.Length != (long)n * d) throw new ArgumentException($"data has {data.Length} values, expected n·d = {n}·{d}");
        if (knn.K < options.Neighbors - 1) throw new ArgumentException($"the kNN graph has {knn.K} neighbours per point; n_neighbors {options.Neighbors} needs {options.Neighbors - 1}");
        // Phase boundaries as in t-SNE (PhaseMemory): the kNN search's garbage, then the fuzzy graph's, collected
        // before the next phase allocates. `knn` is the caller's (a build keeps it for t-SNE).
        PhaseMemory.PhaseDone(n, "UMAP: kNN graph");
        var graph = UmapGraph.FromKnn(knn.Nearest(options.Neighbors - 1), options.Threads);
        PhaseMemory.Trace("UMAP: fuzzy graph");
        var init = options.Initialization ?? InitialPositions(data, n, d, options.Dims, options.Seed, options.Threads);
        PhaseMemory.PhaseDone(n, "UMAP: fuzzy graph and initial positions");
        var y = Optimize(graph, init, options, PhaseMemory.Watch(progress, "UMAP epoch"), cancel);
        PhaseMemory.PhaseDone(n, "UMAP: done"); // the fuzzy graph and edge schedule, before the caller's next phase
        return y;
    }

    /// <summary>PCA to dims, scaled so the largest absolute coordinate is 10, plus seeded noise of scale 1e-4 (umap-learn's "pca" init).</summary>
    public static float[] InitialPositions(ReadOnlySpan<float> data, int n, int d, int dims, int seed, int threads = 0)
    {
        var y = new float[n * dims]; // [n, dims]
        int pcaDims = Math.Min(dims, d);
        var pca = Pca.Project(data, n, d, pcaDims, threads);
        for (int i = 0; i < n; i++)
            for (int a = 0; a < pcaDims; a++) y[i * dims + a] = pca[i * pcaDims + a];
        float max = 0;
        foreach (var v in y) max = Math.Max(max, Math.Abs(v));
        float scale = max > 0 ? 10 / max : 0;
        var rng = new SplitMix(NnDescent.Mix(seed, -7, 0));
        for (int t = 0; t < y.Length; t++) y[t] = y[t] * scale + (float)(Gauss(rng) * 1e-4);
        return y;
    }

    /// <summary>SGD from <paramref name="init"/> [n, Dims] on the fuzzy graph; returns the embedding [n, Dims].</summary>
    public static float[] Optimize(WeightedGraph graph, float[] init, UmapOptions options, IProgress<int>? progress = null, CancellationToken cancel = default)
    {
        int n = graph.N, dims = options.Dims;
        if (init.Length != n * dims) throw new ArgumentException($"initialization must be [{n}, {dims}]");
        int epochs = options.EpochsFor(n);
        var (a, b) = UmapCurve.Fit(options.MinDist, options.Spread);
        var schedule = new EdgeSchedule(graph, epochs, options.NegativeSampleRate);
        var y = (float[])init.Clone();   // [n, dims]
        var snapshot = new float[n * dims]; // [n, dims] positions at the start of the epoch
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.Threads > 0 ? options.Threads : Environment.ProcessorCount };
        const int rowsPerTask = 512;
        // One workspace per thread for the whole run (its step lists are ~100 KB: allocating them per task would churn
        // the large-object heap); what a workspace held before does not affect the result.
        using var workers = new ThreadLocal<UmapSgd>(() => new UmapSgd(graph, schedule, snapshot, n, dims, (float)a, (float)b, 2f, skipSelf: true));
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            cancel.ThrowIfCancellationRequested();
            float alpha = (float)(options.LearningRate * (1 - epoch / (double)epochs));
            Array.Copy(y, snapshot, y.Length);
            int e0 = epoch;
            Parallel.For(0, (n + rowsPerTask - 1) / rowsPerTask, parallel, task =>
            {
                var sgd = workers.Value!;
                int first = task * rowsPerTask;
                sgd.Epoch(y, first, Math.Min(rowsPerTask, n - first), e0, alpha, i => NnDescent.Mix(options.Seed, e0, i));
            });
            progress?.Report(epoch + 1);
        }
        return y;
    }

    internal static double Gauss(SplitMix rng)
    {
        double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}

/// <summary>When each edge is next due: an edge of weight w is sampled every max(w)/w epochs (edges below
/// max(w)/epochs never would be, and are skipped), and draws its negative samples NegativeSampleRate times as often.
/// The arrays have <see cref="Padding"/> extra entries (never due) so that rows can be read eight edges at a time.</summary>
internal sealed class EdgeSchedule
{
    public const int Padding = 8;
    public readonly float[] EpochsPerSample;   // [nnz + Padding]; +∞ for edges never sampled
    /// <summary>Negative samples per edge sample (at least 1); an edge's epochs per negative sample is EpochsPerSample / this.</summary>
    public readonly float NegativeRate;
    public readonly float[] NextSample;        // [nnz + Padding]
    public readonly float[] NextNegative;      // [nnz + Padding]

    public EdgeSchedule(WeightedGraph graph, int epochs, int negativeSampleRate)
    {
        int nnz = graph.Columns.Length;
        float max = 0;
        foreach (var w in graph.Weights) max = Math.Max(max, w);
        NegativeRate = Math.Max(1, negativeSampleRate);
        EpochsPerSample = new float[nnz + Padding];
        Array.Fill(EpochsPerSample, float.PositiveInfinity);
        for (int e = 0; e < nnz; e++)
        {
            float w = graph.Weights[e];
            EpochsPerSample[e] = w >= max / epochs && w > 0 ? max / w : float.PositiveInfinity;
        }
        NextSample = (float[])EpochsPerSample.Clone();
        NextNegative = new float[nnz + Padding];
        for (int e = 0; e < NextNegative.Length; e++) NextNegative[e] = EpochsPerSample[e] / NegativeRate;
        if (negativeSampleRate <= 0) Array.Fill(NextNegative, float.PositiveInfinity);
    }
}
