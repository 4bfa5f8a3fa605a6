using HeadAtlas.Tensors;

namespace HeadAtlas.Tensors.Tests;

/// <summary>Row ops and activations against double-precision references computed here from their definitions.</summary>
public class OpsTests
{
    [Theory]
    // Reference values of erf (to 16 digits, from tables / arbitrary-precision evaluation).
    [InlineData(0.0, 0.0)]
    [InlineData(0.1, 0.1124629160182849)]
    [InlineData(0.5, 0.5204998778130465)]
    [InlineData(1.0, 0.8427007929497149)]
    [InlineData(1.5, 0.9661051464753107)]
    [InlineData(2.0, 0.9953222650189527)]
    [InlineData(2.5, 0.9995930479825550)]
    [InlineData(3.0, 0.9999779095030014)]
    [InlineData(-0.5, -0.5204998778130465)]
    [InlineData(-2.0, -0.9953222650189527)]
    public void ErfMatchesKnownValues(double x, double expected)
    {
        Assert.Equal(expected, ErfMath.Erf(x), 1e-7);
        Assert.Equal(expected, ErfMath.Erf(x), 1e-13); // it is in fact good to double precision
    }

    [Theory]
    [InlineData(3.0, 2.209049699858544e-05)]
    [InlineData(5.0, 1.537459794428035e-12)]
    [InlineData(-1.0, 1.842700792949715)]
    public void ErfcKeepsRelativeAccuracyInTheTail(double x, double expected)
    {
        Assert.True(Math.Abs(ErfMath.Erfc(x) - expected) <= 1e-12 * Math.Abs(expected), $"erfc({x}) = {ErfMath.Erfc(x)}");
    }

    [Fact]
    public void GeluErfMatchesDoubleReference()
    {
        var xs = Grid(-12, 12, 24001); // every 0.001, including the deep negative tail
        var y = (float[])xs.Clone();
        Ops.GeluErf(y);
        for (int i = 0; i < xs.Length; i++)
        {
            double x = xs[i];
            double expected = 0.5 * x * ErfMath.Erfc(-x / Math.Sqrt(2)); // = ½x(1 + erf(x/√2)), tail-safe
            // Relative accuracy everywhere, the negative tail included. Deep in the tail the float rounding of
            // x/√2 (6e-8 relative) is amplified by e^(−x²/2) to ~x²·6e-8, hence the x² term.
            double tol = (2e-6 + 1e-7 * x * x) * Math.Abs(expected) + 1e-30;
            Assert.True(Math.Abs(y[i] - expected) <= tol,
                $"gelu({x}) = {y[i]}, expected {expected}");
        }
    }

    [Fact]
    public void GeluErfHandlesOddLengthsAndSpecialValues()
    {
        var y = new float[] { 0f, 1f, -1f, float.PositiveInfinity, -100f };
        Ops.GeluErf(y);
        Assert.Equal(0f, y[0]);
        Assert.Equal(0.8413447460685429, y[1], 1e-6);
        Assert.Equal(-0.15865525393145707, y[2], 1e-6);
        Assert.Equal(float.PositiveInfinity, y[3]);
        Assert.Equal(0f, y[4], 1e-30);
    }

    [Fact]
    public void GeluTanhMatchesDoubleReference()
    {
        var xs = Grid(-10, 10, 4001);
        var y = (float[])xs.Clone();
        Ops.GeluTanh(y);
        for (int i = 0; i < xs.Length; i++)
        {
            double x = xs[i];
            double expected = 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
            Assert.True(Math.Abs(y[i] - expected) <= 1e-6 * Math.Abs(expected) + 1e-7, $"gelu_tanh({x}) = {y[i]}, expected {expected}");
        }
    }

    [Fact]
    public void SiluMatchesDoubleReference()
    {
        var xs = Grid(-30, 30, 6001);
        var y = (float[])xs.Clone();
        Ops.Silu(y);
        for (int i = 0; i < xs.Length; i++)
        {
            double x = xs[i], expected = x / (1 + Math.Exp(-x));
            Assert.True(Math.Abs(y[i] - expected) <= 1e-6 * Math.Abs(expected) + 1e-12, $"silu({x}) = {y[i]}, expected {expected}");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    [InlineData(32)]  // an attention row: vector path only
    [InlineData(33)]  // vector path and scalar tail
    public void SoftmaxRowsMatchesDoubleReferenceAndIsStable(int width)
    {
        var rng = new Random(5);
        int rows = 7;
        var x = Random(rng, rows * width, 20);
        x[0] = 1000f; // a large logit must not overflow
        if (width > 2) x[width + 1] = float.NegativeInfinity; // a masked key gets probability 0
        var y = (float[])x.Clone();
        Ops.SoftmaxRows(y, width);
        for (int r = 0; r < rows; r++)
        {
            double max = double.MinValue, sum = 0;
            for (int j = 0; j < width; j++) max = Math.Max(max, x[r * width + j]);
            for (int j = 0; j < width; j++) sum += Math.Exp(x[r * width + j] - max);
            for (int j = 0; j < width; j++)
                Assert.Equal(Math.Exp(x[r * width + j] - max) / sum, y[r * width + j], 1e-6);
        }
        if (width > 2) Assert.Equal(0f, y[width + 1]); // exactly 0, not a denormal-sized leak through the mask
    }

    [Fact]
    public void LayerNormRowsMatchesDoubleReference()
    {
        var rng = new Random(6);
        int rows = 5, width = 37;
        var x = Random(rng, rows * width, 3);
        for (int i = 0; i < width; i++) x[i] += 100f; // an offset row tests the mean removal
        var gamma = Random(rng, width, 1); var beta = Random(rng, width, 1);
        var y = (float[])x.Clone();
        Ops.LayerNormRows(y, width, gamma, beta, 1e-12f);
        for (int r = 0; r < rows; r++)
        {
            double mean = 0, var = 0;
            for (int j = 0; j < width; j++) mean += x[r * width + j];
            mean /= width;
            for (int j = 0; j < width; j++) var += Math.Pow(x[r * width + j] - mean, 2);
            var /= width;
            for (int j = 0; j < width; j++)
                Assert.Equal((x[r * width + j] - mean) / Math.Sqrt(var + 1e-12) * gamma[j] + beta[j], y[r * width + j], 2e-5);
        }
    }

    [Fact]
    public void RmsNormRowsMatchesDoubleReference()
    {
        var rng = new Random(7);
        int rows = 4, width = 19;
        var x = Random(rng, rows * width, 4);
        var gamma = Random(rng, width, 2);
        var y = (float[])x.Clone();
        Ops.RmsNormRows(y, width, gamma, 1e-6f);
        for (int r = 0; r < rows; r++)
        {
            double ms = 0;
            for (int j = 0; j < width; j++) ms += (double)x[r * width + j] * x[r * width + j];
            ms /= width;
            for (int j = 0; j < width; j++)
                Assert.Equal(x[r * width + j] / Math.Sqrt(ms + 1e-6) * gamma[j], y[r * width + j], 1e-5);
        }
        Assert.Throws<ArgumentException>(() => Ops.RmsNormRows(y, width, new float[3], 1e-6f));
    }

    [Fact]
    public void AddBiasRowsAddsToEveryRow()
    {
        var x = new float[] { 1, 2, 3, 4, 5, 6 };
        Ops.AddBiasRows(x, [10, 20, 30]);
        Assert.Equal(new float[] { 11, 22, 33, 14, 25, 36 }, x);
    }

    [Fact]
    public void RopeRotatesHalvesByTheExpectedAngles()
    {
        // One position (index 1), one head, dHead 4, θ = 10000: pair (0,2) turns by 1 rad, pair (1,3) by 0.01 rad.
        var x = new float[] { 1, 2, 3, 4 };
        Ops.ApplyRope(x, positions: 1, heads: 1, dHead: 4, rotaryDim: 4, positionOffset: 1);
        Assert.Equal(1 * Math.Cos(1) - 3 * Math.Sin(1), x[0], 1e-6);
        Assert.Equal(3 * Math.Cos(1) + 1 * Math.Sin(1), x[2], 1e-6);
        Assert.Equal(2 * Math.Cos(0.01) - 4 * Math.Sin(0.01), x[1], 1e-6);
        Assert.Equal(4 * Math.Cos(0.01) + 2 * Math.Sin(0.01), x[3], 1e-6);
    }

    [Fact]
    public void RopeInterleavedRotatesAdjacentPairsAndLeavesPassThroughDims()
    {
        var x = new float[] { 1, 2, 3, 4, 5, 6 };
        Ops.ApplyRope(x, positions: 1, heads: 1, dHead: 6, rotaryDim: 4, positionOffset: 2, interleaved: true);
        Assert.Equal(1 * Math.Cos(2) - 2 * Math.Sin(2), x[0], 1e-6);
        Assert.Equal(2 * Math.Cos(2) + 1 * Math.Sin(2), x[1], 1e-6);
        Assert.Equal(3 * Math.Cos(0.02) - 4 * Math.Sin(0.02), x[2], 1e-6);
        Assert.Equal(new float[] { 5, 6 }, x[4..]);
    }

    [Fact]
    public void RopeDotProductsDependOnlyOnRelativePosition()
    {
        // The defining property: <R(p)q, R(p')k> depends on p − p' only.
        var rng = new Random(8);
        int heads = 3, d = 16;
        var q = Random(rng, heads * d, 1); var k = Random(rng, heads * d, 1);
        double Dot(int pq, int pk)
        {
            var qq = (float[])q.Clone(); var kk = (float[])k.Clone();
            Ops.ApplyRope(qq, 1, heads, d, d, positionOffset: pq);
            Ops.ApplyRope(kk, 1, heads, d, d, positionOffset: pk);
            double s = 0;
            for (int i = 0; i < d; i++) s += qq[d + i] * kk[d + i]; // head 1
            return s;
        }
        Assert.Equal(Dot(5, 2), Dot(105, 102), 1e-4);
        Assert.NotEqual(Dot(5, 2), Dot(5, 4), 1e-3);
    }

    private static float[] Grid(double lo, double hi, int count)
    {
        var x = new float[count];
        for (int i = 0; i < count; i++) x[i] = (float)(lo + (hi - lo) * i / (count - 1));
        return x;
    }

    private static float[] Random(Random rng, int count, double scale)
    {
        var x = new float[count];
        for (int i = 0; i < count; i++) x[i] = (float)((rng.NextDouble() * 2 - 1) * scale);
        return x;
    }
}
