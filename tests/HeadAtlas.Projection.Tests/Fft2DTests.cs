using HeadAtlas.Projection;

namespace HeadAtlas.Projection.Tests;

public class Fft2DTests
{
    // Spectrum entries are checked against direct double sums X[u, v] = Σ x[r, c] e^{−2πi(ur + vc)/L} (the FFT leaves
    // X[u, v] at row v, column u), and the inverse must give back L² times the input on the active columns.
    [Theory]
    [InlineData(128)]
    [InlineData(192)]
    [InlineData(384)]
    public void MatchesDirectSumsAndInverts(int l)
    {
        var fft = new Fft2D(l);
        int ld = fft.Stride, active = l / 2 - 3;
        var rng = new Random(l);
        var re = new float[fft.Size]; var im = new float[fft.Size]; // [L, Stride]
        for (int r = 0; r < l; r++)
            for (int c = 0; c < active; c++) { re[r * ld + c] = (float)(rng.NextDouble() - 0.5); im[r * ld + c] = (float)(rng.NextDouble() - 0.5); }
        var x0 = (float[])re.Clone(); var x1 = (float[])im.Clone();
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = 2 };
        fft.ForwardTransposed(ref re, ref im, active, parallel);

        double maxErr = 0, scale = Math.Sqrt(l * (double)active); // typical |X| of random data
        for (int probe = 0; probe < 40; probe++)
        {
            int u = rng.Next(l), v = rng.Next(l);
            double sr = 0, si = 0;
            for (int r = 0; r < l; r++)
                for (int c = 0; c < active; c++)
                {
                    double angle = -2 * Math.PI * (((long)u * r + (long)v * c) % l) / l;
                    double a = x0[r * ld + c], b = x1[r * ld + c];
                    sr += a * Math.Cos(angle) - b * Math.Sin(angle);
                    si += a * Math.Sin(angle) + b * Math.Cos(angle);
                }
            maxErr = Math.Max(maxErr, Math.Abs(re[v * ld + u] - sr) + Math.Abs(im[v * ld + u] - si));
        }
        Assert.True(maxErr < 1e-4 * scale, $"spectrum error {maxErr} vs scale {scale}");

        fft.InverseFromTransposed(ref re, ref im, active, parallel);
        double n2 = (double)l * l, back = 0;
        for (int r = 0; r < l; r++)
            for (int c = 0; c < active; c++)
                back = Math.Max(back, Math.Abs(re[r * ld + c] / n2 - x0[r * ld + c]) + Math.Abs(im[r * ld + c] / n2 - x1[r * ld + c]));
        Assert.True(back < 1e-5, $"round-trip error {back}");
    }

    [Fact]
    public void NextSizeStepsThroughPowersOfTwoAndThreeTimesThem()
    {
        Assert.Equal(new[] { 64, 128, 192, 256, 384, 512, 768, 1024 },
            new[] { 1, 65, 129, 193, 257, 385, 513, 769 }.Select(Fft2D.NextSize).ToArray());
    }
}
