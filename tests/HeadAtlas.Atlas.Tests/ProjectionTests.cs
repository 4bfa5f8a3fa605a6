using Apache.Arrow;
using Apache.Arrow.Ipc;
using HeadAtlas.Projection;

namespace HeadAtlas.Atlas.Tests;

/// <summary>Projection files of a run: PCA in the base, t-SNE added head by head (needs the projection branch's
/// Pca and Tsne).</summary>
public class ProjectionTests
{
    private static float[] Column(RecordBatch b, string name) => ((FloatArray)b.Column(name)).Values.ToArray();

    private static RecordBatch Read(string path)
    {
        using var stream = File.OpenRead(path);
        using var reader = new ArrowFileReader(stream);
        return reader.ReadNextRecordBatch();
    }

    /// <summary>The normalized joint points written independently of QkNormalization, in double: [2N][dHead].</summary>
    private static double[][] ReferencePoints(float[] q, float[] k, int n, int d)
    {
        var Q = Enumerable.Range(0, n).Select(i => Enumerable.Range(0, d).Select(j => (double)q[i * d + j]).ToArray()).ToArray();
        var K = Enumerable.Range(0, n).Select(i => Enumerable.Range(0, d).Select(j => (double)k[i * d + j]).ToArray()).ToArray();
        var shift = Enumerable.Range(0, d).Select(j => Q.Average(r => r[j]) - K.Average(r => r[j])).ToArray();
        K = K.Select(r => r.Select((v, j) => v + shift[j]).ToArray()).ToArray();
        static double Norm(double[] r) => Math.Sqrt(r.Sum(v => v * v));
        double s = Math.Sqrt(K.Average(Norm) / Q.Average(Norm));
        Q = Q.Select(r => r.Select(v => v * s).ToArray()).ToArray();
        K = K.Select(r => r.Select(v => v / s).ToArray()).ToArray();
        return Q.Concat(K).Select(r => { double nr = Norm(r); return r.Select(v => v / nr).ToArray(); }).ToArray();
    }

    [Fact]
    public void Pca_IsInTheBase_WithQueriesThenKeys()
    {
        using var dir = new TempDir();
        string run = dir.File("run");
        var m = AtlasBuilder.BuildBase(new FakeModel(), BuildBaseTests.SmallCorpus(dir), run, new BuildSettings { Projections = ["pca2d", "pca3d"] });
        int n = m.Corpus.Tokens;
        foreach (var head in m.Heads)
        {
            var (q, k, _, d) = RunReader.ReadQk(Path.Combine(run, head.Dir));
            var points = ReferencePoints(q, k, n, d); // [2N][d], unit rows
            foreach (var (name, dims) in new[] { ("pca2d", 2), ("pca3d", 3) })
            {
                var table = Read(Path.Combine(run, head.Dir, name + ".arrow"));
                Assert.Equal(2 * n, table.Length);
                Assert.Equal(dims, table.ColumnCount);
                var cols = new[] { "x", "y", "z" }.Take(dims).Select(c => Column(table, c)).ToArray();
                foreach (var c in cols) Assert.Equal(0, c.Average(v => (double)v), 4); // centered
                // An orthogonal projection never lengthens a distance: checks rows are the points in doc order
                // (queries 0..N−1, then keys) and that they were normalized as documented.
                var rng = new Random(1);
                for (int trial = 0; trial < 300; trial++)
                {
                    int a = rng.Next(2 * n), b = rng.Next(2 * n);
                    double projected = Math.Sqrt(cols.Sum(c => Math.Pow(c[a] - c[b], 2)));
                    double original = Math.Sqrt(points[a].Zip(points[b]).Sum(p => Math.Pow(p.First - p.Second, 2)));
                    Assert.True(projected <= original + 1e-4, $"{head.Dir} {name}: rows {a},{b} {projected} > {original}");
                }
                // The first axis carries at least as much variance as any other direction, e.g. the raw axes.
                double var0 = cols[0].Average(v => (double)v * v);
                for (int j = 0; j < d; j++)
                {
                    double mean = points.Average(p => p[j]);
                    Assert.True(var0 >= points.Average(p => (p[j] - mean) * (p[j] - mean)) - 1e-5);
                }
            }
        }
    }

    [Fact]
    public void Tsne_IsAddedHeadByHead_AndResumesAfterCancel()
    {
        using var dir = new TempDir();
        string corpus = BuildBaseTests.SmallCorpus(dir), run = dir.File("run");
        var settings = new BuildSettings { Projections = ["pca2d", "tsne2d"], TsneIterations = 250, Perplexity = 5 };
        var m = AtlasBuilder.BuildBase(new FakeModel(), corpus, run, settings);
        Assert.All(m.Heads, h => Assert.False(File.Exists(Path.Combine(run, h.Dir, "tsne2d.arrow"))));

        // Cancel once the third head's t-SNE is under way: the first two heads' files are whole, nothing else exists.
        using var cts = new CancellationTokenSource();
        var progress = new RecordingProgress();
        progress.OnReport = (stage, done) => { if (stage == "tsne2d L0_H2" && done > 10) cts.Cancel(); };
        Assert.ThrowsAny<OperationCanceledException>(() => AtlasBuilder.CompleteProjections(run, 1, progress, cts.Token));
        var present = m.Heads.Where(h => File.Exists(Path.Combine(run, h.Dir, "tsne2d.arrow"))).Select(h => h.Key).ToList();
        Assert.Equal(["L0_H0", "L0_H1"], present);
        Assert.Empty(Directory.GetFiles(run, "*.tmp", SearchOption.AllDirectories));
        var firstBytes = File.ReadAllBytes(Path.Combine(run, "heads/L0_H0/tsne2d.arrow"));

        // Rerunning the whole build resumes: the base is kept, only the missing heads are embedded.
        var model = new FakeModel();
        AtlasBuilder.Build(model, corpus, run, settings);
        Assert.Equal(0, model.ForwardCalls);
        Assert.Equal(firstBytes, File.ReadAllBytes(Path.Combine(run, "heads/L0_H0/tsne2d.arrow")));
        int n = m.Corpus.Tokens;
        foreach (var head in m.Heads)
        {
            var table = Read(Path.Combine(run, head.Dir, "tsne2d.arrow"));
            Assert.Equal(2 * n, table.Length);
            Assert.Equal(["x", "y"], table.Schema.FieldsList.Select(f => f.Name));
            Assert.All(Column(table, "x"), v => Assert.True(float.IsFinite(v)));
            Assert.Equal(0, Column(table, "y").Average(v => (double)v), 3);
        }

        // Same seed, same run: a fresh build (two heads at once this time) gives the same bytes.
        string again = dir.File("again");
        AtlasBuilder.Build(new FakeModel(), corpus, again, settings with { TsneParallelHeads = 2 });
        foreach (var head in m.Heads)
            Assert.Equal(File.ReadAllBytes(Path.Combine(run, head.Dir, "tsne2d.arrow")), File.ReadAllBytes(Path.Combine(again, head.Dir, "tsne2d.arrow")));
    }

    [Fact]
    public void Tsne_OnATinyCorpus_LowersPerplexity_AndSaysSo()
    {
        using var dir = new TempDir();
        string run = dir.File("run");
        var settings = new BuildSettings { Projections = ["tsne2d"], TsneIterations = 50 };
        var m = AtlasBuilder.BuildBase(new FakeModel(layers: 1, heads: 2, kvHeads: 1), dir.Write("tiny.txt", "one two three\nfour five\n"), run, settings);
        Assert.Equal(9, m.Corpus.Tokens); // 18 points: perplexity 30 is impossible
        var progress = new RecordingProgress();
        AtlasBuilder.CompleteProjections(run, 1, progress);
        Assert.Contains(progress.Warnings, w => w.Contains("perplexity 30"));
        Assert.Equal(18, RunReader.ReadTable(Path.Combine(run, "heads/L0_H1/tsne2d.arrow")).Length);
    }
}
