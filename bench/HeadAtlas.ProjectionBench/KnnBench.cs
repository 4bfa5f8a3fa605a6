using System.Diagnostics;
using HeadAtlas.Projection;

/// <summary>
/// Side-by-side timings of the kNN search and of P (perplexity calibration + symmetrization): the old code (a copy in
/// KnnOld.cs) and the library's, alternately in one process, with a check that both give the same graph / P.
/// </summary>
internal static class KnnBench
{
    /// <summary>KNNBENCH_ONLY_NEW=1: run the old code once only (for profiling the new).</summary>
    private static readonly bool OnlyNew = Environment.GetEnvironmentVariable("KNNBENCH_ONLY_NEW") == "1";

    // knnbench X.npy|X.csv [k=90] [threads=1] [rounds=3]
    public static int Knn(string[] args)
    {
        var input = PointFiles.Read(args[0]);
        int k = args.Length > 1 ? int.Parse(args[1]) : 90;
        int threads = args.Length > 2 ? int.Parse(args[2]) : 1;
        int rounds = args.Length > 3 ? int.Parse(args[3]) : 3;
        Console.WriteLine($"kNN n={input.N} d={input.D} k={k} threads={threads}");
        KnnGraph? oldGraph = null, newGraph = null;
        var sum = new double[4];
        double[] min = [double.MaxValue, double.MaxValue]; // fastest warm round, CPU: old, new
        for (int r = 0; r < rounds; r++)
        {
            var (oc, ow) = OnlyNew && oldGraph is not null ? (1, 1) : Time(() => oldGraph = KnnOld.Exact(input.Data, input.N, input.D, k, threads));
            var (nc, nw) = Time(() => newGraph = KnnGraph.Exact(input.Data, input.N, input.D, k, threads));
            Console.WriteLine($"  round {r + 1}: old cpu {oc:F3}s wall {ow:F3}s | new cpu {nc:F3}s wall {nw:F3}s | old/new cpu {oc / nc:F2}x wall {ow / nw:F2}x");
            if (r > 0 || rounds == 1) { sum[0] += oc; sum[1] += ow; sum[2] += nc; sum[3] += nw; min[0] = Math.Min(min[0], oc); min[1] = Math.Min(min[1], nc); }
        }
        Console.WriteLine($"  warm rounds: old/new cpu {sum[0] / sum[2]:F2}x, wall {sum[1] / sum[3]:F2}x; fastest warm round cpu: old {min[0]:F3}s, new {min[1]:F3}s ({min[0] / min[1]:F2}x)");
        bool sameIdx = oldGraph!.Indices.AsSpan().SequenceEqual(newGraph!.Indices);
        bool sameDist = oldGraph.Distances.AsSpan().SequenceEqual(newGraph.Distances);
        int diff = 0;
        for (int e = 0; e < oldGraph.Indices.Length; e++) if (oldGraph.Indices[e] != newGraph.Indices[e]) diff++;
        Console.WriteLine($"  same indices: {sameIdx} ({diff} differ), same distances (bits): {sameDist}");
        return sameIdx && sameDist ? 0 : 1;
    }

    // pbench X.npy|X.csv [k=90] [perplexity=30] [threads=2] [rounds=3]
    public static int Affinities(string[] args)
    {
        var input = PointFiles.Read(args[0]);
        int k = args.Length > 1 ? int.Parse(args[1]) : 90;
        double perplexity = args.Length > 2 ? double.Parse(args[2]) : 30;
        int threads = args.Length > 3 ? int.Parse(args[3]) : 2;
        int rounds = args.Length > 4 ? int.Parse(args[4]) : 3;
        var graph = KnnGraph.Exact(input.Data, input.N, input.D, k, threads);
        Console.WriteLine($"P n={input.N} k={k} perplexity={perplexity} threads={threads}");
        SparseAffinities? oldP = null, newP = null;
        var sum = new double[4];
        double[] min = [double.MaxValue, double.MaxValue]; // fastest warm round, CPU: old, new
        for (int r = 0; r < rounds; r++)
        {
            var (oc, ow) = OnlyNew && oldP is not null ? (1, 1) : Time(() => oldP = AffinitiesOld.FromKnn(graph, perplexity, threads));
            var (nc, nw) = Time(() => newP = TsneAffinities.FromKnn(graph, perplexity, threads));
            Console.WriteLine($"  round {r + 1}: old cpu {oc:F3}s wall {ow:F3}s | new cpu {nc:F3}s wall {nw:F3}s | old/new cpu {oc / nc:F2}x wall {ow / nw:F2}x");
            if (r > 0 || rounds == 1) { sum[0] += oc; sum[1] += ow; sum[2] += nc; sum[3] += nw; min[0] = Math.Min(min[0], oc); min[1] = Math.Min(min[1], nc); }
        }
        Console.WriteLine($"  warm rounds: old/new cpu {sum[0] / sum[2]:F2}x, wall {sum[1] / sum[3]:F2}x; fastest warm round cpu: old {min[0]:F3}s, new {min[1]:F3}s ({min[0] / min[1]:F2}x)");
        bool sameShape = oldP!.RowStart.AsSpan().SequenceEqual(newP!.RowStart) && oldP.Columns.AsSpan().SequenceEqual(newP.Columns);
        double maxRel = 0; int bitsDiffer = 0;
        if (sameShape)
            for (int e = 0; e < oldP.Values.Length; e++)
            {
                if (oldP.Values[e] != newP.Values[e]) bitsDiffer++;
                maxRel = Math.Max(maxRel, Math.Abs(oldP.Values[e] - newP.Values[e]) / oldP.Values[e]);
            }
        Console.WriteLine($"  same rows/columns: {sameShape}; values differing in bits: {bitsDiffer} of {oldP.Values.Length}, max relative difference {maxRel:E2}");
        return sameShape && maxRel < 1e-6 ? 0 : 1;
    }

    /// <summary>CPU seconds (whole process, all threads) and wall seconds of one call.</summary>
    internal static (double Cpu, double Wall) Time(Action action)
    {
        var proc = Process.GetCurrentProcess();
        var cpu0 = proc.TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        action();
        double w = wall.Elapsed.TotalSeconds;
        proc.Refresh();
        return ((proc.TotalProcessorTime - cpu0).TotalSeconds, w);
    }
}
