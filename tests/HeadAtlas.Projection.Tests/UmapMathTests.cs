using HeadAtlas.Projection;

namespace HeadAtlas.Projection.Tests;

/// <summary>UMAP's cheap x^b against double-precision Math.Pow, and its uniform integer draw.</summary>
public class UmapMathTests
{
    [Theory]
    [InlineData(0.5)]
    [InlineData(0.7915)] // b of min_dist 0.1, spread 1
    [InlineData(1.0)]
    [InlineData(1.5)]
    [InlineData(1.929)]  // b of min_dist 0
    public void PowMatchesMathPow(double b)
    {
        var rng = new Random(2);
        double worst = 0;
        for (int t = 0; t < 20000; t++)
        {
            float x = (float)Math.Pow(10, rng.NextDouble() * 40 - 20); // 1e-20 .. 1e20, as squared distances may be
            double expected = Math.Pow(x, (float)b);
            double got = UmapMath.Pow(x, (float)b);
            worst = Math.Max(worst, Math.Abs(got - expected) / expected);
        }
        Assert.True(worst < 3e-6, $"worst relative error {worst}");
        Assert.Equal(1f, UmapMath.Pow(1f, (float)b), 6);
        Assert.Equal(0f, UmapMath.Pow(0f, (float)b));
    }

    [Fact]
    public void Exp2CoversTheFloatRange()
    {
        foreach (float y in new[] { -126f, -125.5f, -1f, 0f, 0.25f, 10f, 127f, 127.9f })
            Assert.Equal(Math.Pow(2, y), UmapMath.Exp2(y), Math.Pow(2, y) * 3e-6);
        Assert.Equal(0f, UmapMath.Exp2(-200));
        Assert.Equal(float.PositiveInfinity, UmapMath.Exp2(200));
    }

    [Fact]
    public void BelowIsUniform()
    {
        var rng = new SplitMix(9);
        var counts = new int[7];
        const int draws = 140_000;
        for (int t = 0; t < draws; t++) counts[UmapMath.Below(rng.Next(), 7)]++;
        Assert.All(counts, c => Assert.InRange(c, draws / 7 * 0.97, draws / 7 * 1.03));
    }
}
