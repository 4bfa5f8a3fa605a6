using System.Runtime.Intrinsics;
using HeadAtlas.Tensors;

namespace HeadAtlas.Tensors.Tests;

public class FastMathTests
{
    [Fact]
    public void ExpIsWithinAFewUlpOfDoubleExp()
    {
        double worst = 0;
        for (double y = -87; y <= 88; y += 0.00731)
        {
            float got = FastMath.Exp(Vector256.Create((float)y)).GetElement(0);
            double expected = Math.Exp((float)y);
            worst = Math.Max(worst, Math.Abs(got - expected) / expected);
        }
        Assert.True(worst < 4e-7, $"worst relative error {worst}");
    }

    [Fact]
    public void ExpClampsInsteadOfOverflowing()
    {
        Assert.Equal(MathF.Exp(88f), FastMath.Exp(Vector256.Create(1000f)).GetElement(0), 1e32);
        Assert.True(FastMath.Exp(Vector256.Create(-1000f)).GetElement(0) < 1e-37f);
    }
}

[Collection(GemmStateCollection.Name)]
public class ParallelForTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void ParallelForVisitsEveryIndexOnce(int threads)
    {
        int saved = Gemm.Threads;
        try
        {
            Gemm.Threads = threads;
            var hits = new int[1000];
            Gemm.ParallelFor(hits.Length, i => Interlocked.Increment(ref hits[i]));
            Assert.All(hits, h => Assert.Equal(1, h));
        }
        finally { Gemm.Threads = saved; }
    }
}
