using System.Diagnostics;
using HeadAtlas.Projection;

/// <summary>
/// 3D Barnes-Hut repulsion on a t-SNE-like embedding (40 Gaussian clusters of width 1–3 around centres spread over
/// ±30, as a 16k-point 3D t-SNE ends up): seconds per call (2 threads), and its relative error against the exact
/// O(n²) sums, side by side in one process. HEADATLAS_BH_THREADS sets the thread count (default 2),
/// HEADATLAS_BH_POINTS=Y.csv takes the positions from a file.
/// </summary>
internal static class BarnesHutBench
{
    public static int Run(int n, double theta, int leafSize = 16)
    {
        var rng = new Random(3);
        var centres = new double[40 * 3];
        for (int t = 0; t < centres.Length; t++) centres[t] = (rng.NextDouble() - 0.5) * 60;
        var y = new double[3 * n]; // [n, 3]
        for (int i = 0; i < n; i++)
        {
            int c = rng.Next(40);
            double width = 1 + 2 * ((c * 7919) % 40) / 40.0;
            for (int a = 0; a < 3; a++) y[3 * i + a] = centres[3 * c + a] + width * Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        }
        // HEADATLAS_BH_THREADS=1: one thread (as each head of the demo atlas runs); default 2.
        int threads = int.TryParse(Environment.GetEnvironmentVariable("HEADATLAS_BH_THREADS"), out int t0) ? t0 : 2;
        // HEADATLAS_BH_POINTS=Y.csv: positions from a file (e.g. a finished 3D embedding) instead of the clusters.
        if (Environment.GetEnvironmentVariable("HEADATLAS_BH_POINTS") is { } file)
        {
            var points = PointFiles.Read(file);
            if (points.D != 3) throw new ArgumentException($"{file}: expected 3 columns, got {points.D}");
            n = points.N;
            y = points.Data.Select(v => (double)v).ToArray();
        }
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = threads };
        // HEADATLAS_ATTR3=X.npy: the 3D attraction instead (P at perplexity 30 from X's rows, positions y [n, 3] from
        // HEADATLAS_BH_POINTS), full rows (AVX2 gathers) against each undirected edge once.
        if (Environment.GetEnvironmentVariable("HEADATLAS_ATTR3") is { } xFile) return Attraction(xFile, y, n, parallel);
        var exactRep = new double[3 * n];
        var sw = Stopwatch.StartNew();
        double exactZ = new ExactRepulsion(parallel, 3).Compute(y, n, exactRep);
        double exactSeconds = sw.Elapsed.TotalSeconds;

        var bh = new BarnesHutRepulsion(parallel) { Theta = theta, LeafSize = leafSize };
        var rep = new double[3 * n];
        double z = 0;
        for (int c = 0; c < 40; c++) z = bh.Compute(y, n, rep); // warm-up: past tiered compilation's first tiers
        // The machine is shared: 7 rounds of 10 calls; the best round is the figure least disturbed by other work.
        const int rounds = 7, calls = 10;
        var roundMs = new double[rounds];
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        for (int r = 0; r < rounds; r++)
        {
            sw.Restart();
            for (int c = 0; c < calls; c++) z = bh.Compute(y, n, rep);
            roundMs[r] = sw.Elapsed.TotalMilliseconds / calls;
        }
        double cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds / (rounds * calls);
        Array.Sort(roundMs);
        double seconds = roundMs[0] / 1000;
        double err = 0, norm = 0;
        for (int t = 0; t < rep.Length; t++) { err += (rep[t] - exactRep[t]) * (rep[t] - exactRep[t]); norm += exactRep[t] * exactRep[t]; }
        Console.WriteLine($"Barnes-Hut 3D, {n} points, θ {theta}: {seconds * 1000:F1} ms wall (best round; median {roundMs[rounds / 2]:F1}), {cpu * 1000:F1} ms CPU per call " +
                          $"(×750 iterations = {cpu * 750:F1} CPU s); exact: {exactSeconds * 1000:F0} ms");
        Console.WriteLine($"relative error: forces {Math.Sqrt(err / norm):E2} (RMS over coordinates), Z {Math.Abs(z - exactZ) / exactZ:E2}; " +
                          $"{bh.LastInteractions / (double)n:F0} interactions per point, leaf size {leafSize}, {threads} thread(s)");
        return 0;
    }

    private static int Attraction(string xFile, double[] y, int n, ParallelOptions parallel)
    {
        var x = PointFiles.Read(xFile);
        if (x.N != n) throw new ArgumentException($"{xFile}: {x.N} rows, positions have {n}");
        var p = TsneAffinities.FromKnn(KnnGraph.Build(x.Data, n, x.D, Tsne.NeighboursNeeded(n, 30), 1), 30, 1);
        var rows = new TsneAttraction(p, 3, edgesOnce: false);
        var edges = new TsneAttraction(p, 3);
        var a = new double[3 * n]; var b = new double[3 * n]; // [n, 3]
        const int rounds = 15, calls = 20;
        var tRows = new double[rounds]; var tEdges = new double[rounds];
        var sw = new Stopwatch();
        for (int r = -3; r < rounds; r++) // three rounds of warm-up
        {
            sw.Restart();
            for (int c = 0; c < calls; c++) rows.Compute(y, a, parallel);
            double ms = sw.Elapsed.TotalMilliseconds / calls;
            sw.Restart();
            for (int c = 0; c < calls; c++) edges.Compute(y, b, parallel);
            if (r >= 0) { tRows[r] = ms; tEdges[r] = sw.Elapsed.TotalMilliseconds / calls; }
        }
        double err = 0, norm = 0;
        for (int t = 0; t < a.Length; t++) { err += (a[t] - b[t]) * (a[t] - b[t]); norm += a[t] * a[t]; }
        Array.Sort(tRows); Array.Sort(tEdges);
        Console.WriteLine($"3D attraction, {n} points, {p.RowStart[n]} entries, edges once {edges.EdgesOnce}: ms per call best/median " +
                          $"rows {tRows[0]:F3}/{tRows[rounds / 2]:F3}, edges once {tEdges[0]:F3}/{tEdges[rounds / 2]:F3}; relative difference {Math.Sqrt(err / norm):E2}");
        return 0;
    }
}
