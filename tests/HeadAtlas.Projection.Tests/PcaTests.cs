using HeadAtlas.Projection;

namespace HeadAtlas.Projection.Tests;

public class PcaTests
{
    // An orthonormal basis of R^3 (a rotation), so the principal axes are known exactly.
    private static readonly double[][] Basis =
    {
        new[] { 2 / 3.0, 2 / 3.0, 1 / 3.0 },
        new[] { -2 / 3.0, 1 / 3.0, 2 / 3.0 },
        new[] { 1 / 3.0, -2 / 3.0, 2 / 3.0 },
    };

    /// <summary>Points ±a·u1, ±b·u2, ±c·u3 around a mean: the covariance is exactly diag(2a²,2b²,2c²)/(n−1) in that basis.</summary>
    private static float[] AxisData(double a, double b, double c, double[] mean)
    {
        var scales = new[] { a, b, c };
        var data = new List<float>();
        for (int axis = 0; axis < 3; axis++)
            foreach (var sign in new[] { 1.0, -1.0 })
                for (int j = 0; j < 3; j++) data.Add((float)(mean[j] + sign * scales[axis] * Basis[axis][j]));
        return data.ToArray(); // [6, 3]
    }

    [Fact]
    public void RecoversKnownAxesAndVariances()
    {
        var mean = new[] { 10.0, -3.0, 0.5 };
        var data = AxisData(5, 2, 0.5, mean);
        var model = PcaModel.Fit(data, 6, 3, 3);

        for (int c = 0; c < 3; c++)
        {
            double dot = 0;
            for (int j = 0; j < 3; j++) dot += model.Components[c * 3 + j] * Basis[c][j];
            Assert.Equal(1.0, Math.Abs(dot), 5);
        }
        Assert.Equal(2 * 25 / 5.0, model.ExplainedVariance[0], 4);
        Assert.Equal(2 * 4 / 5.0, model.ExplainedVariance[1], 4);
        Assert.Equal(2 * 0.25 / 5.0, model.ExplainedVariance[2], 4);
        for (int j = 0; j < 3; j++) Assert.Equal(mean[j], model.Mean[j], 4);

        // Projection: the point +5·u1 lands at ±5 on PC1 and 0 on the others.
        var y = Pca.Project(data, 6, 3, 2); // [6, 2]
        Assert.Equal(5.0, Math.Abs(y[0]), 4);
        Assert.Equal(0.0, y[1], 4);
        Assert.Equal(-y[0], y[2], 4);
        Assert.Equal(2.0, Math.Abs(y[2 * 2 + 1]), 4); // point 2 is +2·u2
    }

    [Fact]
    public void VarianceIsOrderedAndMatchesProjectedSpread()
    {
        var rng = new Random(3);
        int n = 500, d = 6;
        var data = new float[n * d];
        for (int i = 0; i < n; i++)
        {
            // Correlated columns with different spreads.
            double g0 = Gauss(rng) * 4, g1 = Gauss(rng) * 2, g2 = Gauss(rng);
            var row = new[] { g0 + g1, g0 - g1, g2, 0.5 * g2 + Gauss(rng) * 0.1, Gauss(rng) * 0.3, 7 + Gauss(rng) * 0.05 };
            for (int j = 0; j < d; j++) data[i * d + j] = (float)row[j];
        }
        var model = PcaModel.Fit(data, n, d, d);
        for (int c = 1; c < d; c++) Assert.True(model.ExplainedVariance[c - 1] >= model.ExplainedVariance[c]);

        // Reference: the variance of each projected column equals its eigenvalue, and columns are uncorrelated.
        var y = model.Transform(data, n); // [n, d]
        for (int c = 0; c < d; c++)
        {
            double s = 0, m = 0;
            for (int i = 0; i < n; i++) m += y[i * d + c];
            m /= n;
            for (int i = 0; i < n; i++) s += (y[i * d + c] - m) * (y[i * d + c] - m);
            Assert.Equal(model.ExplainedVariance[c], s / (n - 1), model.ExplainedVariance[c] * 1e-4 + 1e-6);
            Assert.True(Math.Abs(m) < 1e-4);
        }
        double cross = 0;
        for (int i = 0; i < n; i++) cross += y[i * d] * y[i * d + 1];
        Assert.True(Math.Abs(cross / (n - 1)) < 1e-3 * Math.Sqrt(model.ExplainedVariance[0] * model.ExplainedVariance[1]));

        // Reference: the total variance equals the trace of the covariance computed directly.
        double trace = 0;
        for (int j = 0; j < d; j++)
        {
            double m = 0, s = 0;
            for (int i = 0; i < n; i++) m += data[i * d + j];
            m /= n;
            for (int i = 0; i < n; i++) s += (data[i * d + j] - m) * (data[i * d + j] - m);
            trace += s / (n - 1);
        }
        Assert.Equal(trace, model.ExplainedVariance.Sum(), trace * 1e-6);
    }

    [Fact]
    public void SignConventionMakesLargestLoadingPositive()
    {
        var data = AxisData(3, 1, 0.2, new[] { 0.0, 0, 0 });
        var flipped = data.Select(v => -v).ToArray();
        var a = PcaModel.Fit(data, 6, 3, 3);
        var b = PcaModel.Fit(flipped, 6, 3, 3);
        for (int c = 0; c < 3; c++)
        {
            var row = a.Components.Skip(c * 3).Take(3).ToArray();
            Assert.True(row.MaxBy(Math.Abs) > 0);
            for (int j = 0; j < 3; j++) Assert.Equal(row[j], b.Components[c * 3 + j], 9);
        }
    }

    [Fact]
    public void ThreeDimensionalFitGivesTheTwoDimensionalProjection()
    {
        // The build fits once per head and reads pca2d from the 3D fit's first two axes.
        var rng = new Random(5);
        int n = 400, d = 8;
        var data = new float[n * d];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++) data[i * d + j] = (float)(Gauss(rng) * (j + 1));
        var twoD = Pca.Project(data, n, d, 2);                           // [n, 2], its own fit
        var fromThree = PcaModel.Fit(data, n, d, 3).Transform(data, n, 2); // [n, 2]
        Assert.Equal(twoD.Length, fromThree.Length);
        for (int i = 0; i < twoD.Length; i++) Assert.Equal(twoD[i], fromThree[i], 4);
        Assert.Throws<ArgumentException>(() => PcaModel.Fit(data, n, d, 2).Transform(data, n, 3));
    }

    internal static double Gauss(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}
