// The demo's whole atlas, timed: built-in MiniLM on the demo corpus, every head, the chosen projections (default
// all six), built into a temp folder through the public AtlasBuilder API. See bench/atlas/README.md.
//
//   HeadAtlas.AtlasBench [--heads N] [--projections pca2d,pca3d,tsne2d,tsne3d,umap2d,umap3d] [--parallel-heads P]
//                        [--corpus FILE] [--keep DIR]
//
// --heads N        the projections after PCA for the first N heads only (a partial run; the output says so).
// --parallel-heads passed on as BuildSettings.TsneParallelHeads (0 = the builder's default).
// --corpus         a corpus file (default: the demo corpus, DemoCorpus.EnsureFile; needs HEADATLAS_HOME with it).
// --keep DIR       build into DIR and keep it (default: a temp folder, deleted at the end).
//
//   HeadAtlas.AtlasBench --warm3d POINTS.npy   3D from scratch vs 3D from the 2D layout on one head (Warm3DBench.cs)
using System.Diagnostics;
using HeadAtlas.AtlasBench;
using HeadAtlas.Atlas;
using HeadAtlas.Models;
using HeadAtlas.Projection;

const double AtlasTargetSeconds = 300, PcaTargetSeconds = 5;
if (args.Length == 2 && args[0] == "--warm3d") return Warm3DBench.Run(args[1]);
int heads = 0, parallelHeads = 0;
string[] projections = ["pca2d", "pca3d", "tsne2d", "tsne3d", "umap2d", "umap3d"];
string? corpusPath = null, keep = null;
for (int a = 0; a < args.Length; a++)
{
    string Value() => a + 1 < args.Length ? args[++a] : throw new ArgumentException($"{args[a]} needs a value");
    switch (args[a])
    {
        case "--heads": heads = int.Parse(Value()); break;
        case "--projections": projections = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries); break;
        case "--parallel-heads": parallelHeads = int.Parse(Value()); break;
        case "--corpus": corpusPath = Value(); break;
        case "--keep": keep = Value(); break;
        default:
            Console.Error.WriteLine("usage: HeadAtlas.AtlasBench [--heads N] [--projections LIST] [--parallel-heads P] [--corpus FILE] [--keep DIR]");
            return 2;
    }
}

string load0 = LoadAverage();
Console.WriteLine($"machine: {Environment.ProcessorCount} cores; load average at start: {load0}");
var model = BuiltinModels.Load(BuiltinModels.MiniLm);
corpusPath ??= DemoCorpus.EnsureFile(model);
string runDir = keep ?? Path.Combine(Path.GetTempPath(), $"headatlas-atlasbench-{Environment.ProcessId}");
if (keep is null && Directory.Exists(runDir)) Directory.Delete(runDir, true);
var defaults = new BuildSettings();
var settings = defaults with
{
    Projections = projections,
    TsneParallelHeads = parallelHeads > 0 ? parallelHeads : defaults.TsneParallelHeads,
};

try
{
    var wall = Stopwatch.StartNew();
    var clock = new StageClock(wall);

    // Step 1: the base (tokenizing, forward pass, q/k/attention and PCA of every head), as `headatlas build` does.
    var manifest = AtlasBuilder.BuildBase(model, corpusPath, runDir, settings, overwrite: true, clock);
    double baseSeconds = wall.Elapsed.TotalSeconds;
    int n = manifest.Corpus.Tokens;
    Console.WriteLine($"corpus: {manifest.Corpus.Sentences} sentences, {n} tokens → {2 * n} points per head; {manifest.Heads.Count} heads");
    Console.WriteLine($"base (forward pass, q/k/attention, PCA): {baseSeconds:F1} s");

    // PCA alone, after the forward pass: what the base does per head for its PCA files, again, timed on its own
    // (not counted in the atlas total: the base above already did it).
    var pcas = projections.Where(p => p.StartsWith("pca")).ToList();
    double pcaSeconds = double.NaN;
    if (pcas.Count > 0)
    {
        var metric = AtlasBuilder.ParseMetric(manifest.Settings.Metric);
        var sw = Stopwatch.StartNew();
        var phaseTicks = new long[3]; // read q/k, normalize, PCA + files + faithfulness (summed over threads)
        Parallel.ForEach(manifest.Heads, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, head =>
        {
            string headDir = Path.Combine(runDir, head.Dir);
            long t = Stopwatch.GetTimestamp();
            void Lap(int phase) { long now = Stopwatch.GetTimestamp(); Interlocked.Add(ref phaseTicks[phase], now - t); t = now; }
            var (q, k, rows, d) = RunReader.ReadQk(headDir); // [N, dHead] each
            Lap(0);
            var points = QkNormalization.JointPoints(q, k, rows, d, settings.KeyTranslation, settings.ScaleMatching, metric); // [2N, dHead]
            Lap(1);
            AtlasBuilder.WritePca(runDir, headDir, points, rows, d, pcas); // what the base does per head
            Lap(2);
        });
        string[] phaseNames = ["read q/k", "normalize", "PCA, files and faithfulness"];
        Console.WriteLine("PCA pass by phase (summed over threads): " +
            string.Join(", ", phaseNames.Select((name, i) => $"{name} {phaseTicks[i] / (double)Stopwatch.Frequency:F2} s")));
        pcaSeconds = sw.Elapsed.TotalSeconds;
    }

    // A partial run: the run's manifest keeps the first N heads, so CompleteProjections fills only those.
    int totalHeads = manifest.Heads.Count;
    bool partial = heads > 0 && heads < totalHeads;
    if (partial)
    {
        manifest.Heads = manifest.Heads.Take(heads).ToList();
        RunWriter.WriteManifest(Path.Combine(runDir, RunReader.ManifestFile), manifest);
    }

    // Step 2: every other projection, as `headatlas build` and `demo` do after the base.
    var cpu = System.Diagnostics.Process.GetCurrentProcess();
    var cpuBefore = cpu.TotalProcessorTime;
    var rest = Stopwatch.StartNew();
    AtlasBuilder.CompleteProjections(runDir, settings.TsneParallelHeads, clock);
    double restSeconds = rest.Elapsed.TotalSeconds;
    cpu.Refresh();
    double restCpu = (cpu.TotalProcessorTime - cpuBefore).TotalSeconds;
    double total = wall.Elapsed.TotalSeconds - pcaSeconds.OrZero();

    int missing = manifest.Heads.Sum(h => projections.Count(p => !File.Exists(Path.Combine(runDir, h.Dir, p + ".arrow"))));
    Console.WriteLine();
    Console.WriteLine(partial
        ? $"PARTIAL RUN: projections after PCA for {heads} of {totalHeads} heads; the atlas figures are for those heads only (×{totalHeads / (double)heads:F1} extrapolates)"
        : $"whole atlas: {totalHeads} heads × {2 * n} points × [{string.Join(", ", projections)}]");
    if (missing > 0) Console.WriteLine($"ERROR: {missing} projection files missing");
    Console.WriteLine($"PCA for all {totalHeads} heads (on its own, after the forward pass): {pcaSeconds:F2} s (target ≤ {PcaTargetSeconds} s: {Verdict(pcaSeconds, PcaTargetSeconds)})");
    Console.WriteLine("time per stage, summed over heads (stages of heads run side by side overlap in wall time):");
    foreach (var (kind, seconds, count) in clock.Totals)
        Console.WriteLine($"  {kind,-28} {seconds,9:F1} s  ({count} × {seconds / count:F2} s)");
    Console.WriteLine($"projections after the base: {restSeconds:F1} s wall, {restCpu:F1} s CPU (process; on a shared machine the steadier figure)");
    if (partial)
    {
        // The target is for the whole atlas: a partial run is judged by its extrapolation, never by its own time.
        double estimate = baseSeconds + restSeconds * totalHeads / heads;
        Console.WriteLine($"atlas wall time ({heads} heads only): {total:F1} s = {total / 60:F2} min (base {baseSeconds:F1} s + projections {restSeconds:F1} s)");
        Console.WriteLine($"extrapolated to all {totalHeads} heads: {estimate:F0} s = {estimate / 60:F1} min (target ≤ {AtlasTargetSeconds / 60} min: {Verdict(estimate, AtlasTargetSeconds)})");
    }
    else
        Console.WriteLine($"atlas wall time: {total:F1} s = {total / 60:F2} min (base {baseSeconds:F1} s + projections {restSeconds:F1} s; target ≤ {AtlasTargetSeconds / 60} min: {Verdict(total, AtlasTargetSeconds)})");
    Console.WriteLine($"load average at start: {load0}; at end: {LoadAverage()}");
    return missing > 0 ? 1 : 0;
}
finally
{
    if (keep is null && Directory.Exists(runDir)) Directory.Delete(runDir, true);
}

static string Verdict(double seconds, double target) => double.IsNaN(seconds) ? "not run" : seconds <= target ? "met" : $"missed by {seconds / target:F1}×";

static string LoadAverage()
{
    try { return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
    catch (IOException) { return "unknown"; }
}

internal static class DoubleExtensions
{
    public static double OrZero(this double v) => double.IsNaN(v) ? 0 : v;
}
