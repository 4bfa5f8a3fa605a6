using System.Runtime.Intrinsics;
using HeadAtlas.Projection;

namespace HeadAtlas.Projection.Tests;

public class NonPositiveExpTests
{
    [Fact]
    public void MatchesMathExpToAFewUlpsOverTheWholeRange()
    {
        var rng = new Random(3);
        var xs = new List<double> { 0, -0.0, -1e-300, -1e-17, -0.5 * Math.Log(2), -Math.Log(2), -1, -700, -708.3, -708.4, -709, -720, -745, -745.2, -800, -1e6 };
        for (int i = 0; i < 40_000; i++) xs.Add(-Math.Exp(rng.NextDouble() * 16 - 9)); // −e⁻⁹ … −e⁷ (≈ −1100)
        while (xs.Count % 4 != 0) xs.Add(-2);
        double worstUlps = 0;
        for (int i = 0; i < xs.Count; i += 4)
        {
            var got = NonPositiveExp.Exp(Vector256.Create(xs[i], xs[i + 1], xs[i + 2], xs[i + 3]));
            for (int lane = 0; lane < 4; lane++)
            {
                double want = Math.Exp(xs[i + lane]), have = got[lane];
                if (want < 1e-300) { Assert.Equal(want, have, want * 1e-9); continue; } // subnormals and zero: exactly Math.Exp
                double ulps = Math.Abs(have - want) / (Math.BitIncrement(want) - want);
                worstUlps = Math.Max(worstUlps, ulps);
            }
        }
        Assert.True(worstUlps <= 3, $"worst error {worstUlps} ulp");
    }
}
