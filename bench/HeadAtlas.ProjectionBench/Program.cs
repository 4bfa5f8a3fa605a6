using System.Diagnostics;
using HeadAtlas.Projection;


if (args.Length >= 2 && args[0] == "minilm-head")
{
    // minilm-head OUT.npy [layer=2] [head=3] [tokens=5000]: the joint points of one real head, as the build makes them.
    int layer = args.Length > 2 ? int.Parse(args[2]) : 2, headIndex = args.Length > 3 ? int.Parse(args[3]) : 3;
    int maxTokens = args.Length > 4 ? int.Parse(args[4]) : 5000;
    var (points, n, dHead) = MiniLmHead.JointPoints(layer, headIndex, maxTokens);
    NpyFile.Write(args[1], points, 2 * n, dHead);
    Console.WriteLine($"minilm layer {layer} head {headIndex}: {n} tokens of the first demo sentences -> {2 * n} points x {dHead} dims " +
                      "(queries then keys; key translation, scale matching, cosine: rows of unit length)");
    return 0;
}

if (args.Length == 5 && args[0] == "mixture")
{
    // mixture N D OUT.npy SEED: a 20-cluster Gaussian mixture (centres ~ N(0, 4²), unit noise), float32 .npy.
    int mn = int.Parse(args[1]), md = int.Parse(args[2]);
    NpyFile.Write(args[3], Mixture(mn, md, int.Parse(args[4])), mn, md);
    return 0;
}

if (args.Length >= 2 && args[0] == "memlive")
{
    // memlive N [D=32]: t-SNE 2D (exact kNN up to 20k points) of an N×D mixture through Tsne.Embed(data, ...), as the CLI
    // calls it; after the first iteration prints the live managed heap (full collection) next to the sizes of what the
    // optimization needs, to see which arrays of earlier phases are still referenced (diagnostics for the Memory section).
    int mn = int.Parse(args[1]), md = args.Length > 2 ? int.Parse(args[2]) : 32;
    var x = Mixture(mn, md, 1);
    long baseline = GC.GetTotalMemory(true);
    var report = new Progress1(iter =>
    {
        if (iter != 1) return;
        long live = GC.GetTotalMemory(true) - baseline;
        int k = Tsne.NeighboursNeeded(mn, 30);
        Console.WriteLine($"n {mn}: live after iteration 1 (beyond the input) {live / 1e6:F1} MB; for scale: kNN graph {mn * (long)k * 8 / 1e6:F1} MB, " +
                          $"conditional P {mn * (long)k * 8 / 1e6:F1} MB, P per 1.67·k entries per row (int + double) {mn * (long)(1.67 * k) * 12 / 1e6:F1} MB");
    });
    Tsne.Embed(x, mn, md, new TsneOptions { Iterations = 2 }, report);
    return 0;
}

if (args.Length >= 3 && args[0] == "repbench")
{
    // repbench N SPREAD [REPS=200] [NEAR_TARGET=30] [THREADS=2]: CPU time of one 2D FFT repulsion call on N Gaussian points.
    int rn = int.Parse(args[1]); double spread = double.Parse(args[2]);
    int reps = args.Length > 3 ? int.Parse(args[3]) : 200;
    double target = args.Length > 4 ? double.Parse(args[4]) : 30;
    int th = args.Length > 5 ? int.Parse(args[5]) : 2;
    var rr = new Random(5);
    double G() => Math.Sqrt(-2 * Math.Log(1 - rr.NextDouble())) * Math.Cos(2 * Math.PI * rr.NextDouble());
    var yy = new double[2 * rn];
    for (int t = 0; t < yy.Length; t++) yy[t] = G() * spread;
    // HEADATLAS_REPBENCH_POINTS=Y.csv: positions from a file (e.g. a finished embedding) instead of a Gaussian.
    if (Environment.GetEnvironmentVariable("HEADATLAS_REPBENCH_POINTS") is { } file)
    {
        var pts = PointFiles.Read(file);
        rn = pts.N; yy = pts.Data.Select(v => (double)v * spread).ToArray();
    }
    var rep = new double[2 * rn];
    var f = new FftRepulsion2D(new ParallelOptions { MaxDegreeOfParallelism = th }) { NearPairsTarget = target, NearRadiusPerBox = NearRadius() };
    f.Compute(yy, rn, rep);
    var proc = Process.GetCurrentProcess();
    var cpu0 = proc.TotalProcessorTime; var wall = Stopwatch.StartNew();
    for (int r = 0; r < reps; r++) f.Compute(yy, rn, rep);
    proc.Refresh();
    Console.WriteLine($"n {rn} spread {spread} target {target}: fft {f.LastSize}, r_c {f.NearRadius:F2}: cpu {(proc.TotalProcessorTime - cpu0).TotalMilliseconds / reps:F3} ms/call, wall {wall.Elapsed.TotalMilliseconds / reps:F3} ms/call; {f.Timings}");
    return 0;
}

if (args.Length >= 3 && args[0] == "repcheck")
{
    // repcheck SPREAD MAXBOX [N=800] [NEAR_TARGET=30]: FFT repulsion vs exact sums on N random points (diagnostics).
    double spread = double.Parse(args[1]), mb = double.Parse(args[2]);
    int rn = args.Length > 3 ? int.Parse(args[3]) : 800;
    double target = args.Length > 4 ? double.Parse(args[4]) : 30;
    var rr = new Random(5);
    double G() => Math.Sqrt(-2 * Math.Log(1 - rr.NextDouble())) * Math.Cos(2 * Math.PI * rr.NextDouble());
    var yy = new double[2 * rn];
    for (int t = 0; t < yy.Length; t++) yy[t] = G() * spread + (t % 2 == 0 && t % 8 == 0 ? spread : 0);
    var exact = new double[2 * rn]; double ez = 0; var ezi = new double[rn];
    for (int i = 0; i < rn; i++) for (int j = 0; j < rn; j++) { if (i == j) continue; double dx = yy[2*i]-yy[2*j], dy = yy[2*i+1]-yy[2*j+1]; double q = 1/(1+dx*dx+dy*dy); ez += q; ezi[i] += q; exact[2*i] += q*q*dx; exact[2*i+1] += q*q*dy; }
    var rep = new double[2 * rn];
    var f = new FftRepulsion2D(new ParallelOptions()) { MaxBoxWidth = mb, NearPairsTarget = target, NearRadiusPerBox = NearRadius() };
    double z = f.Compute(yy, rn, rep);
    double err = 0, norm = 0;
    for (int t = 0; t < rep.Length; t++) { err += (rep[t]-exact[t])*(rep[t]-exact[t]); norm += exact[t]*exact[t]; }
    Console.WriteLine($"n {rn} spread {spread} maxBox {mb} near target {target}: fft {f.LastSize}, Z rel err {(z-ez)/ez:E2}, force rel err {Math.Sqrt(err/norm):E2}");
    return 0;
}

if (args.Length >= 3 && args[0] == "attrbench")
{
    // attrbench X.npy Y.csv [REPS=300] [THREADS=1]: wall ms per 2D attraction call, P built as below (perplexity 30),
    // positions from Y.csv; every row in full vs each undirected edge once, alternated in rounds in one process.
    var ax = PointFiles.Read(args[1]);
    var ay = PointFiles.Read(args[2]);
    int reps = args.Length > 3 ? int.Parse(args[3]) : 300, th = args.Length > 4 ? int.Parse(args[4]) : 1;
    if (ay.N != ax.N || ay.D != 2) { Console.Error.WriteLine($"{args[2]}: expected {ax.N} rows of 2 columns, got {ay.N} x {ay.D}"); return 2; }
    int ak = Tsne.NeighboursNeeded(ax.N, 30);
    var ap = TsneAffinities.FromKnn(KnnGraph.Build(ax.Data, ax.N, ax.D, ak, th), 30, th);
    var yy = ay.Data.Select(v => (double)v).ToArray(); // [n, 2]
    var par = new ParallelOptions { MaxDegreeOfParallelism = th };
    var rows = new TsneAttraction(ap, 2, edgesOnce: false);
    var setup = Stopwatch.StartNew();
    var edges = new TsneAttraction(ap, 2); // checks P's symmetry and builds the edge list: once per run
    double setupMs = setup.Elapsed.TotalMilliseconds;
    var a0 = new double[yy.Length]; var a1 = new double[yy.Length]; // [n, 2]
    rows.Compute(yy, a0, par); edges.Compute(yy, a1, par);
    double err = 0, norm = 0;
    for (int t = 0; t < yy.Length; t++) { err += (a0[t] - a1[t]) * (a0[t] - a1[t]); norm += a0[t] * a0[t]; }
    Console.WriteLine($"n {ax.N}, P entries {ap.RowStart[ax.N]}, threads {th}, edges once: {edges.EdgesOnce} (set-up {setupMs:F1} ms), relative difference {Math.Sqrt(err / norm):E2}");
    // The machine is shared: the calls are alternated in 20 short rounds, and the best and median round of each are
    // reported (the best is the figure least disturbed by other work).
    const int rounds = 20;
    int perRound = Math.Max(1, reps / rounds);
    double Time(TsneAttraction a, double[] outp)
    {
        var w = Stopwatch.StartNew();
        for (int r = 0; r < perRound; r++) a.Compute(yy, outp, par);
        return w.Elapsed.TotalMilliseconds / perRound;
    }
    var tRows = new double[rounds]; var tEdges = new double[rounds];
    for (int round = 0; round < rounds; round++) { tRows[round] = Time(rows, a0); tEdges[round] = Time(edges, a1); }
    Array.Sort(tRows); Array.Sort(tEdges);
    Console.WriteLine($"wall ms/call over {rounds} rounds of {perRound} calls: rows best {tRows[0]:F3} median {tRows[rounds / 2]:F3}; " +
                      $"edges once best {tEdges[0]:F3} median {tEdges[rounds / 2]:F3}; ratio best {tRows[0] / tEdges[0]:F2} median {tRows[rounds / 2] / tEdges[rounds / 2]:F2}");
    return 0;
}

// Times the phases of our t-SNE on one input and writes the embedding as CSV.
// usage: HeadAtlas.ProjectionBench X.npy|X.csv Y.csv [dims=2] [iterations=750] [threads=0] [perplexity=30] [maxBoxWidth=1] [exactRepulsionMaxPoints] [fftNearPairs]
if (args.Length < 2)
{
    Console.Error.WriteLine("usage: HeadAtlas.ProjectionBench X.npy|X.csv Y.csv [dims] [iterations] [threads] [perplexity] [maxBoxWidth] [exactRepulsionMaxPoints] [fftNearPairs]");
    return 2;
}
var input = PointFiles.Read(args[0]);
int dims = args.Length > 2 ? int.Parse(args[2]) : 2;
int iterations = args.Length > 3 ? int.Parse(args[3]) : 750;
int threads = args.Length > 4 ? int.Parse(args[4]) : 0;
double perplexity = args.Length > 5 ? double.Parse(args[5]) : 30;
double maxBox = args.Length > 6 ? double.Parse(args[6]) : 1;
var options = new TsneOptions { Dims = dims, Iterations = iterations, Threads = threads, Perplexity = perplexity, MaxBoxWidth = maxBox };
if (args.Length > 7) options = options with { ExactRepulsionMaxPoints = int.Parse(args[7]) };
if (args.Length > 8) options = options with { FftNearPairs = double.Parse(args[8]) };

var total = Stopwatch.StartNew();
var sw = Stopwatch.StartNew();
int k = Tsne.NeighboursNeeded(input.N, perplexity);
KnnGraph? graph = KnnGraph.Build(input.Data, input.N, input.D, k, threads);
double knn = sw.Elapsed.TotalSeconds; sw.Restart();
var p = TsneAffinities.FromKnn(graph, perplexity, threads);
graph = null; // as in Tsne.Embed: the graph is garbage once P exists (matters for the 1M-point memory figure)
double affinities = sw.Elapsed.TotalSeconds; sw.Restart();
var init = Tsne.InitialPositions(input.Data, input.N, input.D, dims, options.Seed, threads);
double initTime = sw.Elapsed.TotalSeconds; sw.Restart();
var y = Tsne.Optimize(p, init, options);
double optimize = sw.Elapsed.TotalSeconds;
double seconds = total.Elapsed.TotalSeconds;
PointFiles.WriteCsv(args[1], y, input.N, dims);
Console.WriteLine($"ours n={input.N} d={input.D} dims={dims} iterations={iterations}: knn {knn:F3}s, P {affinities:F3}s, init {initTime:F3}s, optimize {optimize:F3}s, total {seconds:F3}s");
Console.WriteLine($"seconds={seconds:F4}");
return 0;

// HEADATLAS_NEAR_RADIUS overrides the split radius in box widths for repbench/repcheck (tuning).
static double NearRadius() => double.TryParse(Environment.GetEnvironmentVariable("HEADATLAS_NEAR_RADIUS"), out var r) ? r : 1.5;

// A 20-cluster Gaussian mixture [n, d]: centres ~ N(0, 4²), unit noise.
static float[] Mixture(int n, int d, int seed)
{
    var rng = new Random(seed);
    double Gauss() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
    var centres = Enumerable.Range(0, 20 * d).Select(_ => 4 * Gauss()).ToArray();
    var x = new float[n * d];
    for (int i = 0; i < n; i++)
    {
        int c = rng.Next(20);
        for (int t = 0; t < d; t++) x[i * d + t] = (float)(centres[c * d + t] + Gauss());
    }
    return x;
}

/// <summary>Reports synchronously on the calling thread (System.Progress posts to the thread pool).</summary>
sealed class Progress1(Action<int> report) : IProgress<int>
{
    public void Report(int value) => report(value);
}
