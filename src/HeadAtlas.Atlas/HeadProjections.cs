using System.Runtime.InteropServices;
using HeadAtlas.Projection;

namespace HeadAtlas.Atlas;

/// <summary>
/// Fills in the projection files a run's manifest lists and the folder lacks (<see cref="AtlasBuilder.CompleteProjections"/>).
///
/// Per head, q/k are read and normalized once and ONE kNN graph is built (k = the most any projection needs:
/// ⌊3·perplexity⌋ for t-SNE, n_neighbors − 1 for UMAP); t-SNE 2D/3D and UMAP 2D/3D all take their nearest neighbours
/// from it. Below <see cref="KnnGraph.ExactLimit"/> points the graph is exact, so sharing it changes no embedding.
///
/// Order (<see cref="Waves"/>): PCA (normally already in the base), then UMAP 2D for every head, so the explorer has
/// a nonlinear picture of every head early, then the rest head by head. A head's graph built in the first wave is kept
/// in a temp file in its folder until its last projection is written (a whole graph per head in memory would not scale
/// with the corpus; rebuilding it costs more than reading it back).
///
/// Parallelism: whole heads side by side (<c>parallelHeads</c> of them, the cores shared among them). One head per core
/// needs no synchronization inside a head; on this 2-core machine it was 10% faster in wall time than two threads within
/// one head (bench/atlas/README.md).
/// </summary>
internal static class HeadProjections
{
    /// <summary>Above this many points per head, heads are embedded one at a time whatever was asked: t-SNE's P alone
    /// takes about 2 KB per point, so two 1M-point heads at once would not fit a laptop's memory.</summary>
    public const int OneHeadAbovePoints = 250_000;

    private const string GraphCacheFile = "knn-graph.bin" + RunWriter.TempSuffix; // removed by RunFolder.RemoveStale if left behind

    public static void Complete(string runDir, int parallelHeads, IBuildProgress? progress, CancellationToken cancel)
    {
        progress ??= SilentProgress.Instance;
        runDir = RunFolder.Normalize(runDir);
        RunFolder.RemoveStale(runDir);
        var manifest = RunReader.ReadManifest(runDir);
        var settings = manifest.Settings;
        var metric = AtlasBuilder.ParseMetric(settings.Metric);
        bool Missing(ManifestHead head, string projection) => !File.Exists(Path.Combine(runDir, head.Dir, projection + ".arrow"));
        int todo = manifest.Heads.Sum(h => manifest.Projections.Count(p => Missing(h, p)));
        if (todo == 0) return;

        int points = 2 * manifest.Corpus.Tokens;
        // t-SNE needs perplexity < points − 1; a tiny corpus gets a smaller one (as openTSNE does), said aloud.
        double perplexity = Math.Min(settings.Perplexity, (points - 1) / 3.0);
        if (perplexity < settings.Perplexity && manifest.Projections.Any(p => AtlasBuilder.ParseProjection(p).Method == "tsne"))
            progress.Warn($"perplexity {settings.Perplexity} is too large for {points} points; t-SNE uses {perplexity:G3}");
        parallelHeads = points > OneHeadAbovePoints ? 1 : Math.Clamp(parallelHeads, 1, Environment.ProcessorCount);
        var job = new Job(runDir, settings, metric, perplexity, Threads: Math.Max(1, Environment.ProcessorCount / parallelHeads), cancel);

        var overall = progress.Start("projections", todo);
        int done = 0;
        var waves = Waves(manifest.Projections);
        for (int w = 0; w < waves.Count; w++)
        {
            var wave = waves[w];
            var later = waves.Skip(w + 1).SelectMany(x => x).ToList();
            var heads = manifest.Heads.Where(h => wave.Any(p => Missing(h, p))).ToList();
            Parallelism.ForEach(heads, parallelHeads, cancel, head =>
            {
                var work = new HeadWork(job, head, progress);
                try
                {
                    // The graph is kept for a later wave only if that wave still has a nonlinear projection to do here.
                    var needed = wave.Concat(later).Where(p => Missing(head, p)).ToList();
                    work.KeepGraph = later.Any(p => Missing(head, p) && AtlasBuilder.ParseProjection(p).Method != "pca");
                    work.GraphK = GraphNeighbours(needed, points, perplexity, settings.UmapNeighbors);
                    foreach (var projection in wave.Where(p => Missing(head, p)))
                    {
                        work.Write(projection);
                        overall.Report(Interlocked.Increment(ref done));
                    }
                }
                finally { work.ReleaseGraph(); }
            });
        }
        overall.Complete();
    }

    /// <summary>
    /// The projections in the order they are filled, in waves (each wave runs over all heads before the next):
    /// PCA; UMAP 2D (or t-SNE 2D without it), the first nonlinear picture of every head; then all the rest, ordered
    /// cheapest first within a head (t-SNE 2D, UMAP 3D, t-SNE 3D).
    /// </summary>
    public static List<List<string>> Waves(IReadOnlyList<string> projections)
    {
        string[] rank = ["pca2d", "pca3d", "umap2d", "tsne2d", "umap3d", "tsne3d"];
        var ordered = projections.OrderBy(p => Array.IndexOf(rank, p)).ToList();
        var waves = new List<List<string>>();
        var pca = ordered.Where(p => AtlasBuilder.ParseProjection(p).Method == "pca").ToList();
        if (pca.Count > 0) waves.Add(pca);
        var nonlinear = ordered.Except(pca).ToList();
        if (nonlinear.Count > 0)
        {
            string first = nonlinear.Contains("umap2d") ? "umap2d" : nonlinear[0];
            waves.Add([first]);
            if (nonlinear.Count > 1) waves.Add(nonlinear.Where(p => p != first).ToList());
        }
        return waves;
    }

    /// <summary>Neighbours per point of the shared graph: the most any of <paramref name="projections"/> needs.</summary>
    public static int GraphNeighbours(IEnumerable<string> projections, int points, double perplexity, int umapNeighbors)
    {
        int k = 0;
        foreach (var p in projections)
        {
            string method = AtlasBuilder.ParseProjection(p).Method;
            if (method == "tsne") k = Math.Max(k, Tsne.NeighboursNeeded(points, perplexity));
            else if (method == "umap") k = Math.Max(k, UmapNeighbours(umapNeighbors, points) - 1);
        }
        return k;
    }

    /// <summary>A tiny corpus may have fewer points than n_neighbors: then every point is a neighbour.</summary>
    private static int UmapNeighbours(int umapNeighbors, int points) => Math.Min(umapNeighbors, points);

    private sealed record Job(string RunDir, ManifestSettings Settings, Metric Metric, double Perplexity, int Threads, CancellationToken Cancel);

    /// <summary>One head's projections: its points and graph, made when first needed.</summary>
    private sealed class HeadWork(Job job, ManifestHead head, IBuildProgress progress)
    {
        private readonly string headDir = Path.Combine(job.RunDir, head.Dir);
        private float[]? points; // [2N, dHead]
        private int n, dHead;    // n tokens: 2n points
        private KnnGraph? graph;
        public int GraphK;
        public bool KeepGraph;

        private string CachePath => Path.Combine(headDir, GraphCacheFile);

        public void Write(string projection)
        {
            var (method, dims) = AtlasBuilder.ParseProjection(projection);
            var data = Points();
            // 3D continues from the head's 2D picture of the same method when it exists (Layout3DFrom2D).
            var start = dims == 3 && method != "pca" ? Start3D(method, data) : null; // [2N, 3]
            var tsne = new TsneOptions
            {
                Dims = dims, Perplexity = job.Perplexity, Iterations = job.Settings.TsneIterations, Seed = job.Settings.Seed, Threads = job.Threads,
            };
            if (start is not null) tsne = Layout3DFrom2D.ContinueTsne(tsne, start);
            var umap = UmapOptionsFor(dims);
            if (start is not null) umap = Layout3DFrom2D.ContinueUmap(umap, start, 2 * n);
            var stage = progress.Start($"{projection} {head.Key}", method switch
            {
                "tsne" => tsne.Iterations,
                "umap" => umap.EpochsFor(2 * n),
                _ => 1,
            }, transient: true);
            var report = new StageProgress(stage);
            float[] coords = method switch // [2N, dims]
            {
                "pca" => Pca.Project(data, 2 * n, dHead, dims),
                "umap" => Umap.Embed(Graph(), data, dHead, umap, report, job.Cancel),
                _ => Tsne.Embed(Graph(), data, dHead, tsne, report, job.Cancel),
            };
            RunWriter.WriteProjection(Path.Combine(headDir, projection + ".arrow"), coords, 2 * n, dims);
            HeadMetrics.RecordFaithfulness(job.RunDir, headDir, projection, coords, n, dims);
            stage.Complete();
        }

        /// <summary>The start of a 3D embedding from the head's 2D one of the same method, if that file is there.</summary>
        private float[]? Start3D(string method, float[] data)
        {
            string path = Path.Combine(headDir, method + "2d.arrow");
            if (!File.Exists(path)) return null;
            var (layout, rows, dims) = RunReader.ReadProjection(path);
            if (rows != 2 * n || dims != 2) return null; // not this head's points: start from scratch
            return Layout3DFrom2D.Start(layout, data, 2 * n, dHead, job.Settings.Seed, job.Threads);
        }

        private UmapOptions UmapOptionsFor(int dims) => new()
        {
            Dims = dims, Neighbors = UmapNeighbours(job.Settings.UmapNeighbors, 2 * n), MinDist = job.Settings.UmapMinDist,
            Seed = job.Settings.Seed, Threads = job.Threads,
        };

        private float[] Points()
        {
            if (points is not null) return points;
            var (q, k, rows, d) = RunReader.ReadQk(headDir); // [N, dHead] each
            (n, dHead) = (rows, d);
            return points = QkNormalization.JointPoints(q, k, n, dHead, job.Settings.KeyTranslation, job.Settings.ScaleMatching, job.Metric);
        }

        private KnnGraph Graph()
        {
            if (graph is not null) return graph;
            var data = Points();
            graph = ReadCache();
            if (graph is null)
            {
                var stage = progress.Start($"kNN graph {head.Key}", 1, transient: true);
                graph = KnnGraph.Build(data, 2 * n, dHead, GraphK, job.Threads, job.Settings.Seed);
                stage.Complete();
            }
            return graph;
        }

        /// <summary>Keeps the graph on disk for a later wave, or removes its file once no wave needs it.</summary>
        public void ReleaseGraph()
        {
            if (KeepGraph && graph is not null && !File.Exists(CachePath)) WriteCache(graph);
            else if (!KeepGraph && File.Exists(CachePath)) File.Delete(CachePath);
            graph = null;
        }

        // Cache layout: int n, int k, then indices [n, k] int32 and distances [n, k] float32, little-endian.
        private void WriteCache(KnnGraph g)
        {
            string temp = Path.Combine(headDir, "knn-graph.part" + RunWriter.TempSuffix); // renamed when whole: a cancelled write is never read back
            using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write))
            {
                file.Write(BitConverter.GetBytes(g.N));
                file.Write(BitConverter.GetBytes(g.K));
                file.Write(MemoryMarshal.AsBytes(g.Indices.AsSpan()));
                file.Write(MemoryMarshal.AsBytes(g.Distances.AsSpan()));
            }
            File.Move(temp, CachePath, overwrite: true);
        }

        private KnnGraph? ReadCache()
        {
            if (!File.Exists(CachePath)) return null;
            var bytes = File.ReadAllBytes(CachePath);
            int gn = BitConverter.ToInt32(bytes, 0), gk = BitConverter.ToInt32(bytes, 4);
            if (gn != 2 * n || gk < GraphK || bytes.Length != 8 + 8L * gn * gk) return null; // not this head's graph: rebuild
            var indices = MemoryMarshal.Cast<byte, int>(bytes.AsSpan(8, 4 * gn * gk)).ToArray();
            var distances = MemoryMarshal.Cast<byte, float>(bytes.AsSpan(8 + 4 * gn * gk, 4 * gn * gk)).ToArray();
            return new KnnGraph(gn, gk, indices, distances);
        }
    }

    private sealed class StageProgress(IProgressStage stage) : IProgress<int>
    {
        public void Report(int value) => stage.Report(value);
    }
}
