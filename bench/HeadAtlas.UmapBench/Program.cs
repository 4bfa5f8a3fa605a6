// UMAP benchmarks (see bench/umap/README.md):
//   heads N D           time of each of the six projections of one N×D head, and the 72-head extrapolation
//   pair N D OUTDIR     writes OUTDIR/x.npy, umap.csv, tsne.csv (2D) of one mixture, printing the times
//   big N D             UMAP 2D of an N×D mixture: time per phase and peak RSS
//   knn N D K           NN-descent vs exact: recall and time
//   umap N [DIMS]       UMAP of an N×32 mixture: wall and CPU seconds (whole run and SGD alone)
//   embed IN.npy DIMS OUT.csv   UMAP of a point file, timed; OUT.csv for trustworthiness (bench/umap/before_after.sh)
//   mixture N D OUT.npy the N×D mixture of the other modes, as .npy
//   bh N [THETA] [LEAF]      3D Barnes-Hut repulsion on N points (40 clusters): time per call and relative error vs exact
//   tsne3d N D OUTDIR   t-SNE 3D of one mixture with Barnes-Hut and with exact repulsion: OUTDIR/x.npy, bh.csv, exact.csv
using System.Diagnostics;
using HeadAtlas.Projection;

if (args.Length < 2) { Console.Error.WriteLine("usage: umap N [DIMS] | embed IN.npy DIMS OUT.csv | mixture N D OUT.npy | heads N D | pair N D OUTDIR | big N D | knn N D K | bh N [THETA] [LEAF] | tsne3d N D OUTDIR"); return 2; }
if (args[0] == "umap")
{
    // UMAP alone on an N×32 mixture (DIMS 2 or 3, default 2): wall and CPU seconds of the whole run and of the SGD
    // (Umap.Optimize) alone. Run an older build beside it for a ratio.
    int count = int.Parse(args[1]), dims = args.Length > 2 ? int.Parse(args[2]) : 2;
    var data = Mixture(count, 32, 40, 1);
    RunUmap(data, count, 32, dims, null);
    return 0;
}
if (args[0] == "mixture")
{
    // mixture N D OUT.npy: the N×D mixture the other modes use, for before_after.sh.
    int count = int.Parse(args[1]), dim = int.Parse(args[2]);
    WriteNpy(args[3], Mixture(count, dim, 40, 1), count, dim);
    return 0;
}
if (args[0] == "embed")
{
    // embed IN.npy DIMS OUT.csv: UMAP of a point file (e.g. one real head), timed, written as CSV for trustworthiness.
    var points = PointFiles.Read(args[1]);
    RunUmap(points.Data, points.N, points.D, int.Parse(args[2]), args[3]);
    return 0;
}
if (args[0] == "bh") return BarnesHutBench.Run(int.Parse(args[1]), args.Length > 2 ? double.Parse(args[2]) : 0.5, args.Length > 3 ? int.Parse(args[3]) : 16);
int n = int.Parse(args[1]), d = int.Parse(args[2]);
var sw = Stopwatch.StartNew();
var x = Mixture(n, d, 40, 1);
Console.WriteLine($"data {n}×{d} (mixture of 40 Gaussians): {sw.Elapsed.TotalSeconds:F1} s");

switch (args[0])
{
    case "heads":
    {
        var times = new List<(string, double)>();
        foreach (var dims in new[] { 2, 3 })
        {
            Console.WriteLine($"pca{dims}d, tsne{dims}d, umap{dims}d:");
            times.Add(($"pca{dims}d", Time(() => Pca.Project(x, n, d, dims))));
            times.Add(($"tsne{dims}d", Time(() => Tsne.Embed(x, n, d, new TsneOptions { Dims = dims }))));
            times.Add(($"umap{dims}d", Time(() => Umap.Embed(x, n, d, new UmapOptions { Dims = dims }))));
        }
        foreach (var (name, s) in times) Console.WriteLine($"{name}: {s:F2} s per head, ×72 heads = {72 * s / 60:F1} min");
        Console.WriteLine($"all six: {times.Sum(t => t.Item2):F1} s per head, ×72 = {72 * times.Sum(t => t.Item2) / 60:F1} min");
        break;
    }
    case "pair":
    {
        string dir = args[3];
        Directory.CreateDirectory(dir);
        WriteNpy(Path.Combine(dir, "x.npy"), x, n, d);
        var u = Array.Empty<float>(); var t = Array.Empty<float>();
        double tu = Time(() => u = Umap.Embed(x, n, d, new UmapOptions { Dims = 2 }));
        double tt = Time(() => t = Tsne.Embed(x, n, d, new TsneOptions { Dims = 2 }));
        PointFiles.WriteCsv(Path.Combine(dir, "umap.csv"), u, n, 2);
        PointFiles.WriteCsv(Path.Combine(dir, "tsne.csv"), t, n, 2);
        Console.WriteLine($"umap {tu:F2} s, tsne {tt:F2} s, ratio tsne/umap {tt / tu:F2}");
        break;
    }
    case "tsne3d":
    {
        string dir = args[3];
        Directory.CreateDirectory(dir);
        WriteNpy(Path.Combine(dir, "x.npy"), x, n, d);
        var bh = Array.Empty<float>(); var exact = Array.Empty<float>();
        double tb = Time(() => bh = Tsne.Embed(x, n, d, new TsneOptions { Dims = 3, Threads = 2 }));
        double te = Time(() => exact = Tsne.Embed(x, n, d, new TsneOptions { Dims = 3, Threads = 2, ExactRepulsionMaxPoints = int.MaxValue }));
        PointFiles.WriteCsv(Path.Combine(dir, "bh.csv"), bh, n, 3);
        PointFiles.WriteCsv(Path.Combine(dir, "exact.csv"), exact, n, 3);
        Console.WriteLine($"ours 3D: Barnes-Hut {tb:F1} s, exact repulsion {te:F1} s");
        break;
    }
    case "big":
    {
        var options = new UmapOptions { Dims = 2 };
        KnnGraph knn = null!; WeightedGraph graph = null!; float[] init = null!;
        double tk = Time(() => knn = KnnGraph.Build(x, n, d, options.Neighbors - 1));
        double tg = Time(() => graph = UmapGraph.FromKnn(knn));
        double ti = Time(() => init = Umap.InitialPositions(x, n, d, 2, 0));
        var progress = new Progress<int>(e => { if (e % 20 == 0) Console.Error.WriteLine($"epoch {e} at {sw.Elapsed.TotalSeconds:F0} s"); });
        double to = Time(() => Umap.Optimize(graph, init, options, progress));
        Console.WriteLine($"knn {tk:F1} s, fuzzy graph {tg:F1} s ({graph.Columns.Length} entries), init {ti:F1} s, SGD {to:F1} s ({options.EpochsFor(n)} epochs); total {tk + tg + ti + to:F1} s");
        Console.WriteLine($"peak RSS {Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024 * 1024):F2} GiB");
        break;
    }
    case "knn":
    {
        int k = int.Parse(args[3]);
        KnnGraph exact = null!, approx = null!;
        double te = Time(() => exact = KnnGraph.Exact(x, n, d, k));
        double ta = Time(() => approx = NnDescent.Build(x, n, d, k));
        long hits = 0;
        for (int i = 0; i < n; i++)
        {
            var truth = new HashSet<int>(exact.Indices.AsSpan(i * k, k).ToArray());
            for (int s = 0; s < k; s++) if (truth.Contains(approx.Indices[i * k + s])) hits++;
        }
        Console.WriteLine($"exact {te:F2} s, NN-descent {ta:F2} s (ratio {te / ta:F1}×), recall {hits / (double)(n * (long)k):F4}");
        break;
    }
}
return 0;

static void RunUmap(float[] data, int count, int d, int dims, string? output)
{
    var options = new UmapOptions { Dims = dims };
    KnnGraph knn = null!; WeightedGraph graph = null!; float[] init = null!, y = null!;
    Console.WriteLine($"UMAP {dims}D of {count}×{d}: kNN + fuzzy graph + PCA start");
    Time(() =>
    {
        knn = KnnGraph.Build(data, count, d, options.Neighbors - 1);
        graph = UmapGraph.FromKnn(knn);
        init = Umap.InitialPositions(data, count, d, dims, options.Seed);
    });
    Console.WriteLine($"SGD ({options.EpochsFor(count)} epochs, {graph.Columns.Length} graph entries):");
    Time(() => y = Umap.Optimize(graph, init, options));
    if (output != null) PointFiles.WriteCsv(output, y, count, dims);
}

static double Time(Action action)
{
    var sw = Stopwatch.StartNew();
    var process = Process.GetCurrentProcess();
    var cpu0 = process.TotalProcessorTime;
    action();
    process.Refresh();
    Console.WriteLine($"  ({sw.Elapsed.TotalSeconds:F1} s wall, {(process.TotalProcessorTime - cpu0).TotalSeconds:F1} s CPU)");
    return sw.Elapsed.TotalSeconds;
}

// [n, d]: 40 Gaussian clusters of different widths around random centres (a stand-in for one head's q/k points).
static float[] Mixture(int n, int d, int clusters, int seed)
{
    var rng = new Random(seed);
    var centres = new double[clusters * d];
    var widths = new double[clusters];
    for (int c = 0; c < clusters; c++) widths[c] = 0.5 + rng.NextDouble();
    for (int t = 0; t < centres.Length; t++) centres[t] = Gauss(rng) * 3;
    var x = new float[(long)n * d];
    for (int i = 0; i < n; i++)
    {
        int c = rng.Next(clusters);
        for (int t = 0; t < d; t++) x[(long)i * d + t] = (float)(centres[c * d + t] + widths[c] * Gauss(rng));
    }
    return x;
}

static double Gauss(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

static void WriteNpy(string path, float[] x, int n, int d)
{
    var header = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({n}, {d}), }}".PadRight(117) + "\n";
    using var file = File.Create(path);
    file.Write(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, (byte)header.Length, 0 });
    file.Write(System.Text.Encoding.ASCII.GetBytes(header));
    file.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.AsSpan()));
}
