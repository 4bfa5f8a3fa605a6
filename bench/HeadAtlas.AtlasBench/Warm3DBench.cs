using System.Diagnostics;
using HeadAtlas.Projection;

namespace HeadAtlas.AtlasBench;

/// <summary>
/// `--warm3d POINTS.npy`: 3D from scratch vs 3D continued from the 2D layout (what the build does, Layout3DFrom2D),
/// for t-SNE and UMAP on one head's joint points (e.g. `HeadAtlas.ProjectionBench minilm-head OUT.npy 2 3 5000`).
/// Prints per embedding: CPU seconds (one thread), exact KL(P‖Q) with t-SNE's P (perplexity 30), trustworthiness
/// (k = 10), and the correlation of pairwise distances with the 2D layout (every 5th point), i.e. how much of the 2D
/// arrangement the 3D picture keeps.
/// </summary>
internal static class Warm3DBench
{
    public static int Run(string path)
    {
        var x = PointFiles.Read(path);
        int n = x.N, d = x.D;
        Console.WriteLine($"{path}: {n} points × {d}; load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        var graph = KnnGraph.Build(x.Data, n, d, 90, 1);
        var p = TsneAffinities.FromKnn(graph, 30, 1);
        var tsne = new TsneOptions { Threads = 1 };
        var umap = new UmapOptions { Threads = 1 };

        float[] Report(string name, Func<float[]> embed, int dims, float[]? layout2d)
        {
            var process = Process.GetCurrentProcess();
            var cpu0 = process.TotalProcessorTime;
            var y = embed();
            process.Refresh();
            double cpu = (process.TotalProcessorTime - cpu0).TotalSeconds;
            string kept = layout2d is null ? "" : $", distance correlation with 2D {DistanceCorrelation(layout2d, 2, y, dims, 5):F3}";
            Console.WriteLine($"{name,-28} cpu {cpu,6:F1} s, KL {Tsne.KlDivergence(p, y, dims):F4}, trustworthiness {Quality.Trustworthiness(x.Data, n, d, y, dims, 10):F4}{kept}");
            return y;
        }

        var t2 = Report("tsne2d (750 iterations)", () => Tsne.Embed(graph, x.Data, d, tsne), 2, null);
        Report("tsne3d from scratch (750)", () => Tsne.Embed(graph, x.Data, d, tsne with { Dims = 3 }), 3, t2);
        Report($"tsne3d from 2D ({Layout3DFrom2D.TsneIterations(tsne.Iterations)})",
            () => Tsne.Embed(graph, x.Data, d, Layout3DFrom2D.ContinueTsne(tsne, Layout3DFrom2D.Start(t2, x.Data, n, d))), 3, t2);
        var umapGraph = graph.Nearest(umap.Neighbors - 1);
        int epochs = umap.EpochsFor(n);
        var u2 = Report($"umap2d ({epochs} epochs)", () => Umap.Embed(umapGraph, x.Data, d, umap), 2, null);
        Report($"umap3d from scratch ({epochs})", () => Umap.Embed(umapGraph, x.Data, d, umap with { Dims = 3 }), 3, u2);
        Report($"umap3d from 2D ({Layout3DFrom2D.UmapEpochs(epochs)})",
            () => Umap.Embed(umapGraph, x.Data, d, Layout3DFrom2D.ContinueUmap(umap, Layout3DFrom2D.Start(u2, x.Data, n, d), n)), 3, u2);
        return 0;
    }

    /// <summary>Pearson correlation of the pairwise distances of every <paramref name="stride"/>-th point in two embeddings.</summary>
    private static double DistanceCorrelation(float[] a, int aDims, float[] b, int bDims, int stride)
    {
        int n = a.Length / aDims;
        double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0; long count = 0;
        for (int i = 0; i < n; i += stride)
            for (int j = i + stride; j < n; j += stride)
            {
                double da = 0, db = 0;
                for (int c = 0; c < aDims; c++) da += Math.Pow(a[i * aDims + c] - a[j * aDims + c], 2);
                for (int c = 0; c < bDims; c++) db += Math.Pow(b[i * bDims + c] - b[j * bDims + c], 2);
                da = Math.Sqrt(da); db = Math.Sqrt(db);
                sa += da; sb += db; saa += da * da; sbb += db * db; sab += da * db; count++;
            }
        double cov = sab / count - sa / count * (sb / count);
        return cov / Math.Sqrt((saa / count - Math.Pow(sa / count, 2)) * (sbb / count - Math.Pow(sb / count, 2)));
    }
}
