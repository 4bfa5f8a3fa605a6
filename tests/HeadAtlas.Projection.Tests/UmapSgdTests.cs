using System.Runtime.Intrinsics;
using HeadAtlas.Projection;

namespace HeadAtlas.Projection.Tests;

public class UmapSgdTests
{
    [Theory]
    [InlineData(0.8951f)] // min_dist 0.1
    [InlineData(0.7915f)] // min_dist 0.001
    [InlineData(0.5f)]
    [InlineData(1.5f)]
    [InlineData(-0.1f)]   // b − 1, as in the attraction's d^(2(b−1))
    public void FastPowMatchesMathPow(float b)
    {
        // Squared distances from 1e-12 to 1e12 (log-spaced, plus irregular points), 8 at a time.
        var xs = new List<float>();
        for (double e = -12; e <= 12; e += 0.001) xs.Add((float)Math.Pow(10, e));
        var rng = new Random(5);
        for (int t = 0; t < 20_000; t++) xs.Add((float)(rng.NextDouble() * 100));
        double worst = 0;
        for (int t = 0; t + 8 <= xs.Count; t += 8)
        {
            var got = UmapPow.Pow(Vector256.Create(xs.GetRange(t, 8).ToArray()), Vector256.Create(b));
            for (int l = 0; l < 8; l++)
            {
                double want = Math.Pow(xs[t + l], b);
                // 1e-6, plus the rounding of b·log₂x to float (2 ulp of it, times ln 2, as a relative error of 2^(b·log₂x)).
                double bound = 1e-6 + 2 * Math.Abs(b * Math.Log2(xs[t + l])) * Math.Pow(2, -24) * Math.Log(2);
                worst = Math.Max(worst, Math.Abs(got[l] - want) / want / bound);
            }
        }
        Assert.True(worst < 1, $"relative error {worst:F2} of its bound");
        Assert.True(worst > 0); // it is an approximation: a zero here would mean the test compares the function with itself
    }

    [Fact]
    public void RandomRowsAreUniformAndInRange()
    {
        const int count = 37, draws = 8 * 50_000;
        var hist = new int[count];
        var seed = Vector256.Create(11, 12, 13, 14, 15, 16, 17, 18);
        for (int s = 0; s < draws / 8; s++)
        {
            var rows = UmapSgd.RandomRow(seed, Vector256.Create(s), count);
            for (int l = 0; l < 8; l++) hist[rows[l]]++;
        }
        double expected = draws / (double)count;
        double chi2 = hist.Sum(h => (h - expected) * (h - expected) / expected);
        Assert.True(chi2 < 80, $"χ² = {chi2:F1} with 36 degrees of freedom"); // p ≈ 3e-5 for a uniform source
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void VectorEpochsMatchARowByRowReference(int dims)
    {
        // A small graph (rows of different lengths, some without due edges) and a few epochs: the 32-lane machinery must
        // move each row as one row alone would, written here plainly in double precision with Math.Pow.
        int n = 300;
        var (x, _) = TsneTests.Clusters(n, 6, 3, 4, 8);
        var graph = UmapGraph.FromKnn(KnnGraph.Exact(x, n, 6, 9));
        var y0 = Umap.InitialPositions(x, n, 6, dims, 1);
        const int epochs = 6;
        const float a = 1.577f, b = 0.895f;
        var fast = (float[])y0.Clone();
        var plain = (float[])y0.Clone();
        var fastSchedule = new EdgeSchedule(graph, 40, 5);
        var plainSchedule = new EdgeSchedule(graph, 40, 5);
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            // A small learning rate: at 1, early UMAP steps overshoot and amplify float-vs-double rounding chaotically.
            float alpha = 0.1f * (1 - epoch / 40f);
            var snapshot = (float[])fast.Clone();
            int e0 = epoch;
            // Two uneven ranges, as two tasks would have.
            var sgd = new UmapSgd(graph, fastSchedule, snapshot, n, dims, a, b, 2f, skipSelf: true);
            sgd.Epoch(fast, 0, 123, epoch, alpha, i => (ulong)(i * 7919 + e0));
            sgd.Epoch(fast, 123, n - 123, epoch, alpha, i => (ulong)(i * 7919 + e0));

            var plainSnapshot = (float[])plain.Clone();
            for (int i = 0; i < n; i++) ReferenceRow(graph, plainSchedule, i, epoch, plain, plainSnapshot, n, dims, a, b, alpha, (uint)(i * 7919 + e0));
            int worst = 0;
            for (int t = 0; t < fast.Length; t++) if (Math.Abs(plain[t] - fast[t]) > Math.Abs(plain[worst] - fast[worst])) worst = t;
            Assert.True(Math.Abs(plain[worst] - fast[worst]) < 1e-4, $"epoch {epoch}: row {worst / dims} differs: {plain[worst]} vs {fast[worst]}; snapshot {plainSnapshot[worst]}");
        }
        Assert.NotEqual(y0, fast); // it moved
    }

    /// <summary>One row, one step at a time, as umap-learn's loop (with this project's snapshot and random rows).</summary>
    private static void ReferenceRow(WeightedGraph graph, EdgeSchedule schedule, int i, int epoch, float[] y, float[] snapshot,
        int n, int dims, float a, float b, float alpha, uint seed)
    {
        var own = y.AsSpan(i * dims, dims);
        int step = 0;
        for (int e = graph.RowStart[i]; e < graph.RowStart[i + 1]; e++)
        {
            if (schedule.NextSample[e] > epoch) continue;
            int j = graph.Columns[e];
            double d2 = 0;
            for (int t = 0; t < dims; t++) d2 += Math.Pow(own[t] - snapshot[j * dims + t], 2);
            if (d2 > 0)
            {
                double coeff = -2 * a * b * Math.Pow(d2, b - 1) / (1 + a * Math.Pow(d2, b));
                var start = own.ToArray();
                for (int t = 0; t < dims; t++) own[t] += (float)(2 * alpha * Math.Clamp(coeff * (start[t] - snapshot[j * dims + t]), -4, 4));
            }
            step++;
            float perNegative = schedule.EpochsPerSample[e] / schedule.NegativeRate;
            int negatives = Math.Max(0, (int)((epoch - schedule.NextNegative[e]) / perNegative));
            for (int s = 0; s < negatives; s++, step++)
            {
                int r = UmapSgd.RandomRow(Vector256.Create((int)seed), Vector256.Create(step), (uint)n)[0];
                if (r == i) continue;
                double r2 = 0;
                for (int t = 0; t < dims; t++) r2 += Math.Pow(own[t] - snapshot[r * dims + t], 2);
                if (r2 <= 0) continue;
                double coeff = 2 * b / ((0.001 + r2) * (1 + a * Math.Pow(r2, b)));
                var start = own.ToArray();
                for (int t = 0; t < dims; t++) own[t] += (float)(alpha * Math.Clamp(coeff * (start[t] - snapshot[r * dims + t]), -4, 4));
            }
            schedule.NextSample[e] += schedule.EpochsPerSample[e];
            schedule.NextNegative[e] += negatives * perNegative;
        }
    }
}
