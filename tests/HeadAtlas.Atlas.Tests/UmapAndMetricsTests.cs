using Apache.Arrow;
using HeadAtlas.Projection;

namespace HeadAtlas.Atlas.Tests;

/// <summary>UMAP projections in the build, and metrics.json (faithfulness per head per projection).</summary>
public class UmapAndMetricsTests
{
    [Fact]
    public void UmapProjectionsAndFaithfulnessAreWrittenForEveryHead()
    {
        using var dir = new TempDir();
        string run = dir.File("run");
        var settings = new BuildSettings { Projections = ["pca2d", "umap2d", "umap3d"], UmapNeighbors = 5 };
        AtlasBuilder.Build(new FakeModel(), BuildBaseTests.SmallCorpus(dir), run, settings);
        var m = RunReader.ReadManifest(run);
        Assert.Equal(5, m.Settings.UmapNeighbors);
        foreach (var head in m.Heads)
        {
            string headDir = Path.Combine(run, head.Dir);
            var umap3 = RunReader.ReadTable(Path.Combine(headDir, "umap3d.arrow"));
            Assert.Equal(2 * m.Corpus.Tokens, umap3.Length);
            Assert.Equal(3, umap3.ColumnCount);
            var metrics = HeadMetrics.Read(headDir)["faithfulness"];
            Assert.Equal(["pca2d", "umap2d", "umap3d"], metrics.Keys.Order());
            // Independent recomputation for pca2d from the files, with a direct rank correlation per query.
            var table = RunReader.ReadTable(Path.Combine(headDir, "pca2d.arrow"));
            float[] x = ((FloatArray)table.Column("x")).Values.ToArray(), y = ((FloatArray)table.Column("y")).Values.ToArray();
            var attention = (ListArray)RunReader.ReadTable(Path.Combine(headDir, "attention.arrow")).Column("weights");
            var weights = ((FloatArray)attention.Values).Values.ToArray();
            var positions = ((Int32Array)RunReader.ReadTable(Path.Combine(run, "tokens.arrow")).Column("position")).Values.ToArray();
            int n = m.Corpus.Tokens;
            var perQuery = new List<double>();
            for (int t = 0; t < n; t++)
            {
                int first = t - positions[t], len = attention.ValueOffsets[t + 1] - attention.ValueOffsets[t];
                if (len < 3) continue;
                var w = Enumerable.Range(0, len).Select(p => (double)weights[attention.ValueOffsets[t] + p]).ToArray();
                var negDist = Enumerable.Range(0, len).Select(p => -Math.Sqrt(Math.Pow(x[t] - x[n + first + p], 2) + Math.Pow(y[t] - y[n + first + p], 2))).ToArray();
                double rho = PearsonOfRanks(w, negDist);
                if (!double.IsNaN(rho)) perQuery.Add(rho);
            }
            Assert.Equal(perQuery.Average(), metrics["pca2d"]!.Value, 1e-5); // stored with 6 decimals
        }
    }

    /// <summary>Spearman via sorting with average ranks for ties, written separately from Faithfulness.</summary>
    private static double PearsonOfRanks(double[] a, double[] b)
    {
        static double[] Rank(double[] v) => v.Select(x => v.Count(o => o < x) + (v.Count(o => o == x) + 1) / 2.0).ToArray();
        var ra = Rank(a); var rb = Rank(b);
        double ma = ra.Average(), mb = rb.Average();
        double sab = ra.Zip(rb).Sum(p => (p.First - ma) * (p.Second - mb));
        double saa = ra.Sum(v => (v - ma) * (v - ma)), sbb = rb.Sum(v => (v - mb) * (v - mb));
        return saa == 0 || sbb == 0 ? double.NaN : sab / Math.Sqrt(saa * sbb);
    }
}
