namespace HeadAtlas.Projection.Tests;

public class Layout3DFrom2DTests
{
    /// <summary>x and y are the 2D layout unchanged; z is the data's third principal component (up to sign),
    /// centred, with a spread of DepthScale times the layout's.</summary>
    [Fact]
    public void StartIsTheLayoutWithTheThirdPrincipalComponentAsDepth()
    {
        int n = 400, d = 6;
        var rng = new Random(3);
        var data = new float[n * d]; // [n, d] with decreasing variance per column
        for (int i = 0; i < n; i++)
            for (int a = 0; a < d; a++) data[i * d + a] = (float)(PcaTests.Gauss(rng) * (6 - a));
        var layout = new float[2 * n]; // [n, 2]
        for (int t = 0; t < layout.Length; t++) layout[t] = (float)(PcaTests.Gauss(rng) * 20 + 5);

        var y = Layout3DFrom2D.Start(layout, data, n, d);

        for (int i = 0; i < n; i++)
        {
            Assert.Equal(layout[2 * i], y[3 * i]);
            Assert.Equal(layout[2 * i + 1], y[3 * i + 1]);
        }
        var z = Enumerable.Range(0, n).Select(i => (double)y[3 * i + 2]).ToArray();
        Assert.Equal(0, z.Average(), 4);
        double layoutStd = Math.Sqrt(Std2(layout, n));
        Assert.Equal(Layout3DFrom2D.DepthScale * layoutStd, Math.Sqrt(z.Sum(v => v * v) / n), 3);
        var pc3 = Pca.Project(data, n, d, 3);
        var third = Enumerable.Range(0, n).Select(i => (double)pc3[3 * i + 2]).ToArray();
        double m3 = third.Average();
        double corr = z.Zip(third, (u, v) => u * (v - m3)).Sum() / Math.Sqrt(z.Sum(u => u * u) * third.Sum(v => (v - m3) * (v - m3)));
        Assert.True(Math.Abs(corr) > 0.9999, $"correlation with the third component {corr}");
    }

    /// <summary>Mean of the two axes' variances of a [n, 2] layout.</summary>
    private static double Std2(float[] layout, int n)
    {
        double total = 0;
        for (int a = 0; a < 2; a++)
        {
            double mean = Enumerable.Range(0, n).Average(i => (double)layout[2 * i + a]);
            total += Enumerable.Range(0, n).Sum(i => (layout[2 * i + a] - mean) * (layout[2 * i + a] - mean)) / n;
        }
        return total / 2;
    }

    [Fact]
    public void IterationsFromTheLayoutAreAFractionOfThoseFromScratch()
    {
        Assert.Equal(250, Layout3DFrom2D.TsneIterations(750));
        Assert.Equal(100, Layout3DFrom2D.UmapEpochs(200));
        Assert.Equal(1, Layout3DFrom2D.TsneIterations(2));
    }
}
