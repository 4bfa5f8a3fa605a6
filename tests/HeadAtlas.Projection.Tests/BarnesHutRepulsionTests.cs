using HeadAtlas.Projection;

namespace HeadAtlas.Projection.Tests;

/// <summary>3D Barnes-Hut repulsion against the exact O(n²) sums written in double (TsneTests.ExactRepulsion).</summary>
public class BarnesHutRepulsionTests
{
    /// <summary>[n, 3]: clusters of different widths (a t-SNE-like layout: dense groups, empty space between), and
    /// some exact duplicates (coincident points must not break the tree).</summary>
    private static double[] Layout(int n, int seed)
    {
        var rng = new Random(seed);
        var centres = new double[12 * 3];
        for (int t = 0; t < centres.Length; t++) centres[t] = (rng.NextDouble() - 0.5) * 40;
        var y = new double[3 * n];
        for (int i = 0; i < n; i++)
        {
            if (i % 50 == 49) { Array.Copy(y, 3 * (i - 1), y, 3 * i, 3); continue; }
            int c = rng.Next(12);
            for (int a = 0; a < 3; a++) y[3 * i + a] = centres[3 * c + a] + (0.5 + c % 3) * PcaTests.Gauss(rng);
        }
        return y;
    }

    private static (double Force, double Z) RelativeError(double[] y, int n, double theta, int leafSize, int threads = 2)
    {
        var (refRep, refZ) = TsneTests.ExactRepulsion(y, n, 3);
        var rep = new double[3 * n];
        double z = new BarnesHutRepulsion(new ParallelOptions { MaxDegreeOfParallelism = threads }) { Theta = theta, LeafSize = leafSize }.Compute(y, n, rep);
        Assert.All(rep, v => Assert.True(double.IsFinite(v)));
        double err = 0, norm = 0;
        for (int t = 0; t < rep.Length; t++) { err += (rep[t] - refRep[t]) * (rep[t] - refRep[t]); norm += refRep[t] * refRep[t]; }
        return (Math.Sqrt(err / norm), Math.Abs(z - refZ) / refZ);
    }

    // The bounds sit a few times above what the tree gives (θ 0.5: ~1e-3) and well below the error of a monopole
    // approximation that ignored θ (tens of percent), so a wrong centre of mass, a missed cell or a point counted twice fails.
    [Theory]
    [InlineData(0.5, 64, 5e-3)]
    [InlineData(0.5, 8, 1e-2)]
    [InlineData(0.2, 64, 1e-3)]
    public void MatchesExactForces(double theta, int leafSize, double bound)
    {
        int n = 3000;
        var (force, z) = RelativeError(Layout(n, 1), n, theta, leafSize);
        Assert.True(force < bound, $"relative force error {force}");
        Assert.True(z < bound, $"relative Z error {z}");
    }

    [Fact]
    public void SmallerThetaIsMoreAccurate()
    {
        int n = 2000;
        var y = Layout(n, 2);
        double coarse = RelativeError(y, n, 0.9, 32).Force, fine = RelativeError(y, n, 0.3, 32).Force;
        Assert.True(fine < coarse / 2, $"θ 0.3: {fine}, θ 0.9: {coarse}");
    }

    [Fact]
    public void SameBitsWhateverTheThreads()
    {
        int n = 2500;
        var y = Layout(n, 3);
        var a = new double[3 * n]; var b = new double[3 * n];
        double za = new BarnesHutRepulsion(new ParallelOptions { MaxDegreeOfParallelism = 1 }).Compute(y, n, a);
        double zb = new BarnesHutRepulsion(new ParallelOptions { MaxDegreeOfParallelism = 2 }).Compute(y, n, b);
        Assert.Equal(za, zb);
        Assert.Equal(a, b);
        var c = new double[3 * n];
        Assert.Equal(za, new BarnesHutRepulsion(new ParallelOptions { MaxDegreeOfParallelism = 4 }).Compute(y, n, c));
        Assert.Equal(a, c);
    }

    // Point counts that are not whole vectors of 8 (the last vector of opened points is masked, and copies run up to
    // 7 points past a leaf): one leaf holding everything is summed exactly (float rounding only), and odd leaf sizes
    // stay within the tree's usual error. (Two points: Z is one small q, left after the self term 1 is subtracted
    // from a float sum 1 + q, so it carries ~1e-7 absolute rounding: 1e-4 relative.)
    [Theory]
    [InlineData(1, 64, 1e-5)]
    [InlineData(2, 64, 1e-4)]
    [InlineData(7, 64, 1e-5)]
    [InlineData(13, 64, 1e-5)]
    [InlineData(61, 64, 1e-5)]
    [InlineData(777, 5, 1e-2)]
    [InlineData(1001, 13, 5e-3)]
    public void OddCountsMatchExact(int n, int leafSize, double bound)
    {
        var y = Layout(n, 4);
        if (n == 1)
        {
            var rep = new double[3];
            Assert.Equal(0, new BarnesHutRepulsion(new ParallelOptions()) { LeafSize = leafSize }.Compute(y, n, rep), 6);
            Assert.All(rep, v => Assert.Equal(0, v, 6));
            return;
        }
        var (force, z) = RelativeError(y, n, 0.5, leafSize);
        Assert.True(force < bound, $"relative force error {force}");
        Assert.True(z < bound, $"relative Z error {z}");
    }

    // The buffers are reused from call to call: stale interaction entries from a call on other positions must not
    // change the next result.
    [Fact]
    public void ReuseGivesTheSameBitsAsAFreshInstance()
    {
        int n = 1500;
        var first = Layout(n, 5); var second = Layout(n, 6);
        for (int t = 0; t < second.Length; t++) second[t] *= 3; // a wider layout: other tree, other list lengths
        var reused = new BarnesHutRepulsion(new ParallelOptions { MaxDegreeOfParallelism = 1 });
        reused.Compute(first, n, new double[3 * n]);
        var a = new double[3 * n]; var b = new double[3 * n];
        double za = reused.Compute(second, n, a);
        double zb = new BarnesHutRepulsion(new ParallelOptions { MaxDegreeOfParallelism = 1 }).Compute(second, n, b);
        Assert.Equal(zb, za);
        Assert.Equal(b, a);
    }
}
