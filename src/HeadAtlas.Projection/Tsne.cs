using System.Runtime.Intrinsics;

namespace HeadAtlas.Projection;

/// <summary>Options for <see cref="Tsne"/>.</summary>
public sealed record TsneOptions
{
    public int Dims { get; init; } = 2;
    public double Perplexity { get; init; } = 30;
    /// <summary>Total iterations, early exaggeration included.</summary>
    public int Iterations { get; init; } = 750;
    public int Seed { get; init; } = 0;
    /// <summary>Threads to use; 0 = all cores.</summary>
    public int Threads { get; init; } = 0;
    public double EarlyExaggeration { get; init; } = 12;
    public int EarlyExaggerationIterations { get; init; } = 250;
    /// <summary>Step size for the KL gradient (with its factor 4); 0 = auto, max(n / (4·EarlyExaggeration), 50) as scikit-learn,
    /// i.e. n/12 on the gradient without the 4 (Belkina et al. 2019, openTSNE).</summary>
    public double LearningRate { get; init; } = 0;
    /// <summary>Largest interpolation box side (embedding units) of the 2D FFT repulsion; 1 as in FIt-SNE/openTSNE.</summary>
    public double MaxBoxWidth { get; init; } = 1;
    /// <summary>2D FFT repulsion: near pairs per point (uniform-density estimate) at which the grid stops growing and
    /// the kernel is split into an exact near part and a smooth far part on the grid; 0 = never split
    /// (see <see cref="FftRepulsion2D.NearPairsTarget"/>).</summary>
    public double FftNearPairs { get; init; } = 60;
    /// <summary>Up to this many points the repulsion is summed exactly (O(n²)); above, FFT interpolation (2D) or Barnes-Hut (3D).
    /// 1400: where the two cost the same on this 2-core machine (750 iterations, two threads: digits subsets of 1000 /
    /// 1400 / 1797 points took 0.38 / 0.52 / 0.80 s exact against 0.47 / 0.53 / 0.54 s by FFT in 2D; in 3D the octree was
    /// already faster at 1400).</summary>
    public int ExactRepulsionMaxPoints { get; init; } = 1400;
    /// <summary>Optional starting positions [n, Dims]; default: PCA scaled to standard deviation 1e-4 (openTSNE, scikit-learn).</summary>
    public float[]? Initialization { get; init; }
}

/// <summary>
/// t-SNE of row-major [n, d] float data (euclidean input distances): exact kNN, perplexity-calibrated sparse P,
/// gradient descent with momentum and gains; repulsion by FFT-accelerated interpolation in 2D and by a Barnes-Hut
/// tree in 3D. Deterministic for a seed on one machine, whatever the thread count.
/// </summary>
public static class Tsne
{
    /// <summary>Returns the embedding [n, Dims]. <paramref name="progress"/> receives the iteration number.
    /// Neighbours come from <see cref="KnnGraph.Build"/> (exact up to <see cref="KnnGraph.ExactLimit"/> points, NN-descent above).</summary>
    // Optimized from the first call: run once, it would otherwise stay unoptimized (tier 0), where every local keeps its
    // object alive to the end of the method: the kNN graph and P (≈ 1.8 GiB at 1M points) through the whole optimization.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static float[] Embed(ReadOnlySpan<float> data, int n, int d, TsneOptions options, IProgress<int>? progress = null, CancellationToken cancel = default)
    {
        options = FitPerplexity(n, options);
        Validate(n, options);
        var graph = KnnGraph.Build(data, n, d, NeighboursNeeded(n, options.Perplexity), options.Threads, options.Seed);
        return Embed(graph, data, d, options, progress, cancel);
    }

    /// <summary>
    /// t-SNE from a precomputed kNN graph of <paramref name="data"/> [graph.N, d] (euclidean distances as
    /// <see cref="KnnGraph"/> gives them; for cosine, of unit-length rows). The graph needs at least
    /// ⌊3·perplexity⌋ neighbours per point (fewer if n is small); only the nearest that many are used, so one graph
    /// with more neighbours can be shared with UMAP. The data is used for the PCA initialization only.
    /// </summary>
    // Optimized from the first call: run once, it would otherwise stay unoptimized (tier 0), where every local keeps its
    // object alive to the end of the method: the kNN graph and P (≈ 1.8 GiB at 1M points) through the whole optimization.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static float[] Embed(KnnGraph graph, ReadOnlySpan<float> data, int d, TsneOptions options, IProgress<int>? progress = null, CancellationToken cancel = default)
    {
        int n = graph.N;
        if (data.Length != (long)n * d) throw new ArgumentException($"data has {data.Length} values, expected n·d = {n}·{d} for a graph of {n} points");
        options = FitPerplexity(n, options);
        Validate(n, options);
        int k = NeighboursNeeded(n, options.Perplexity);
        if (graph.K < k) throw new ArgumentException($"the kNN graph has {graph.K} neighbours per point; t-SNE with perplexity {options.Perplexity} needs at least {k}");
        // Phase boundaries (PhaseMemory): each phase's garbage is collected before the next allocates, so the peak is
        // the largest phase, not their sum. `graph` is the caller's (a build keeps it for UMAP); whatever built it is done.
        PhaseMemory.PhaseDone(n, "t-SNE: kNN graph");
        var p = TsneAffinities.FromKnn(graph.K == k ? graph : graph.Nearest(k), options.Perplexity, options.Threads);
        PhaseMemory.Trace("t-SNE: P");
        var init = options.Initialization ?? InitialPositions(data, n, d, options.Dims, options.Seed, options.Threads);
        PhaseMemory.PhaseDone(n, "t-SNE: P and initial positions");
        var y = Optimize(p, init, options, PhaseMemory.Watch(progress, "t-SNE iteration"), cancel);
        PhaseMemory.PhaseDone(n, "t-SNE: done"); // P and the optimizer's arrays, before the caller's next phase (a build's next head)
        return y;
    }

    /// <summary>Too large a perplexity for a small n is lowered to (n − 1)/3, as openTSNE does, so a pipeline over many
    /// heads never fails on a tiny one; the 'project' command rejects it up front with a clear message instead.</summary>
    private static TsneOptions FitPerplexity(int n, TsneOptions options) =>
        n >= 4 && options.Perplexity > (n - 1) / 3.0 ? options with { Perplexity = Math.Max(1, (n - 1) / 3.0) } : options;

    /// <summary>Neighbours per point the perplexity calibration uses: ⌊3·perplexity⌋, at most n − 1.</summary>
    public static int NeighboursNeeded(int n, double perplexity) => Math.Min(n - 1, (int)Math.Floor(3 * perplexity));

    public static void Validate(int n, TsneOptions options)
    {
        if (options.Dims is not (2 or 3)) throw new ArgumentException($"t-SNE dims must be 2 or 3 (got {options.Dims})");
        if (n < 4) throw new ArgumentException($"t-SNE needs at least 4 points (got {n})");
        if (!(options.Perplexity >= 1) || options.Perplexity >= n - 1)
            throw new ArgumentException($"perplexity {options.Perplexity} is out of range for {n} points: it must be at least 1 and below n − 1 = {n - 1}");
        if (options.Iterations < 0) throw new ArgumentException("iterations must be ≥ 0");
    }

    /// <summary>PCA to <paramref name="dims"/>, scaled so the first coordinate has standard deviation 1e-4. If the
    /// data has fewer columns than dims, tiny seeded noise fills in.</summary>
    public static float[] InitialPositions(ReadOnlySpan<float> data, int n, int d, int dims, int seed, int threads = 0)
    {
        var y = new float[n * dims]; // [n, dims]
        int pcaDims = Math.Min(dims, d);
        var pca = Pca.Project(data, n, d, pcaDims, threads);
        var rng = new Random(seed);
        for (int i = 0; i < n; i++)
            for (int a = 0; a < dims; a++)
                y[i * dims + a] = a < pcaDims ? pca[i * pcaDims + a] : (float)(rng.NextDouble() - 0.5) * 1e-4f;
        double mean = 0, sq = 0;
        for (int i = 0; i < n; i++) mean += y[i * dims];
        mean /= n;
        for (int i = 0; i < n; i++) sq += (y[i * dims] - mean) * (y[i * dims] - mean);
        double std = Math.Sqrt(sq / n);
        if (std == 0) // degenerate data: seeded noise
        {
            for (int t = 0; t < y.Length; t++) y[t] = (float)(rng.NextDouble() - 0.5) * 1e-4f;
            return y;
        }
        float scale = (float)(1e-4 / std);
        for (int t = 0; t < y.Length; t++) y[t] *= scale;
        return y;
    }

    /// <summary>Gradient descent on KL(P‖Q) from <paramref name="init"/> [n, Dims].</summary>
    public static float[] Optimize(SparseAffinities p, float[] init, TsneOptions options, IProgress<int>? progress = null, CancellationToken cancel = default,
        Action<int, double[]>? onIteration = null)
    {
        int n = p.N, dims = options.Dims;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.Threads > 0 ? options.Threads : Environment.ProcessorCount };
        var y = init.Select(v => (double)v).ToArray(); // [n, dims]
        var update = new double[n * dims];
        var gains = new double[n * dims];
        var rep = new double[n * dims];
        var attr = new double[n * dims];
        Array.Fill(gains, 1.0);
        double lr = options.LearningRate > 0 ? options.LearningRate : Math.Max(n / (4 * options.EarlyExaggeration), 50);
        // Repulsion: exact for small n (cheaper than a grid or tree there, and exact); else FFT grid (2D) or octree (3D).
        bool exact = n <= options.ExactRepulsionMaxPoints;
        var direct = exact ? new ExactRepulsion(parallel, dims) : null;
        var fft = !exact && dims == 2 ? new FftRepulsion2D(parallel) { MaxBoxWidth = options.MaxBoxWidth, NearPairsTarget = options.FftNearPairs } : null;
        var tree = !exact && dims == 3 ? new BarnesHutRepulsion(parallel) : null;
        var attraction = new TsneAttraction(p, dims);
        int early = Math.Min(options.EarlyExaggerationIterations, options.Iterations);

        // HEADATLAS_TSNE_TRACE=1 prints the CPU time spent in repulsion and attraction (diagnostics for benchmarks; in 2D
        // with the FFT the attraction runs inside the repulsion's call, so its time is counted there).
        bool trace = Environment.GetEnvironmentVariable("HEADATLAS_TSNE_TRACE") is not null;
        var process = System.Diagnostics.Process.GetCurrentProcess();
        TimeSpan repulsionCpu = default, attractionCpu = default;
        for (int iter = 0; iter < options.Iterations; iter++)
        {
            cancel.ThrowIfCancellationRequested();
            if (iter == early)
            {
                // A new phase restarts momentum and gains, as scikit-learn does.
                Array.Clear(update);
                Array.Fill(gains, 1.0);
            }
            double exaggeration = iter < early ? options.EarlyExaggeration : 1;
            double momentum = iter < early ? 0.5 : 0.8;

            var t0 = trace ? process.TotalProcessorTime : default;
            // 2D FFT: the attraction runs beside the repulsion's pieces (see FftRepulsion2D.Compute).
            var attractionPieces = fft is not null ? attraction.Pieces(y) : null;
            double z = direct is not null ? direct.Compute(y, n, rep) : fft is not null ? fft.Compute(y, n, rep, attractionPieces) : tree!.Compute(y, n, rep);
            var t1 = trace ? process.TotalProcessorTime : default;
            if (attractionPieces is not null) attraction.FinishPieces(attr, parallel);
            else attraction.Compute(y, attr, parallel);
            if (trace)
            {
                var t2 = process.TotalProcessorTime;
                repulsionCpu += t1 - t0; attractionCpu += t2 - t1;
                if (iter % 50 == 0 || iter == options.Iterations - 1)
                    Console.Error.WriteLine($"iter {iter}: cpu so far: repulsion {repulsionCpu.TotalSeconds:F2} s, attraction {attractionCpu.TotalSeconds:F2} s, fft size {fft?.LastSize}; {fft?.Timings}");
            }
            GradientStep(y, update, gains, attr, rep, exaggeration, 1 / z, momentum, lr);
            onIteration?.Invoke(iter, y);
            progress?.Report(iter + 1);
        }
        return y.Select(v => (float)v).ToArray();
    }

    /// <summary>One step of gradient descent with momentum and gains (Jacobs 1988, as scikit-learn): gradient
    /// g = 4(α·attr − rep/Z); a coordinate whose gradient keeps its sign against the last update speeds up (+0.2),
    /// else slows down (×0.8, at least 0.01). Four coordinates at a time, the same operations as one at a time (no
    /// fused multiply-add), so the result does not depend on the vector width. Sequential: O(n) cheap work, where a
    /// parallel loop would add a synchronization point per iteration.</summary>
    private static void GradientStep(double[] y, double[] update, double[] gains, double[] attr, double[] rep,
        double exaggeration, double invZ, double momentum, double lr)
    {
        var four = Vector256.Create(4.0); var alpha = Vector256.Create(exaggeration);
        var vInvZ = Vector256.Create(invZ); var vMomentum = Vector256.Create(momentum);
        var vLr = Vector256.Create(lr); var up = Vector256.Create(0.2);
        var down = Vector256.Create(0.8); var floor = Vector256.Create(0.01);
        int t = 0;
        for (; t + 4 <= y.Length; t += 4)
        {
            var g = four * (alpha * Vector256.LoadUnsafe(ref attr[t]) - Vector256.LoadUnsafe(ref rep[t]) * vInvZ);
            var u = Vector256.LoadUnsafe(ref update[t]);
            var gain = Vector256.LoadUnsafe(ref gains[t]);
            var flipped = Vector256.LessThan(g * u, Vector256<double>.Zero);
            gain = Vector256.Max(Vector256.ConditionalSelect(flipped, gain + up, gain * down), floor);
            gain.StoreUnsafe(ref gains[t]);
            u = vMomentum * u - vLr * gain * g;
            u.StoreUnsafe(ref update[t]);
            (Vector256.LoadUnsafe(ref y[t]) + u).StoreUnsafe(ref y[t]);
        }
        for (; t < y.Length; t++)
        {
            double g = 4 * (exaggeration * attr[t] - rep[t] * invZ);
            double gain = g * update[t] < 0 ? gains[t] + 0.2 : gains[t] * 0.8;
            gains[t] = Math.Max(gain, 0.01);
            update[t] = momentum * update[t] - lr * gains[t] * g;
            y[t] += update[t];
        }
    }

    /// <summary>Exact KL(P‖Q) of an embedding [n, dims], O(n²): for tests and small checks.</summary>
    public static double KlDivergence(SparseAffinities p, ReadOnlySpan<float> y, int dims)
    {
        int n = p.N;
        double z = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                if (i == j) continue;
                double r2 = 0;
                for (int a = 0; a < dims; a++) { double diff = y[i * dims + a] - y[j * dims + a]; r2 += diff * diff; }
                z += 1 / (1 + r2);
            }
        double kl = 0;
        for (int i = 0; i < n; i++)
            for (int e = p.RowStart[i]; e < p.RowStart[i + 1]; e++)
            {
                int j = p.Columns[e];
                double pij = p.Values[e];
                if (pij <= 0) continue;
                double r2 = 0;
                for (int a = 0; a < dims; a++) { double diff = y[i * dims + a] - y[j * dims + a]; r2 += diff * diff; }
                double q = 1 / (1 + r2) / z;
                kl += pij * Math.Log(pij / q);
            }
        return kl;
    }
}
