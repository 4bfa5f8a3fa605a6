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
        for (int r = 0; r < active; r++) // data in the top-left active × active block, as the repulsion's grids
            for (int c = 0; c < active; c++) { re[r * ld + c] = (float)(rng.NextDouble() - 0.5); im[r * ld + c] = (float)(rng.NextDouble() - 0.5); }
        var x0 = (float[])re.Clone(); var x1 = (float[])im.Clone();
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = 2 };
        fft.ForwardTransposed(ref re, ref im, active, parallel);

        double maxErr = 0, scale = Math.Sqrt(active * (double)active); // typical |X| of random data
        for (int probe = 0; probe < 40; probe++)
        {
            int u = rng.Next(l), v = rng.Next(l);
            double sr = 0, si = 0;
            for (int r = 0; r < active; r++)
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
        for (int r = 0; r < active; r++)
            for (int c = 0; c < active; c++)
                back = Math.Max(back, Math.Abs(re[r * ld + c] / n2 - x0[r * ld + c]) + Math.Abs(im[r * ld + c] / n2 - x1[r * ld + c]));
        Assert.True(back < 1e-5, $"round-trip error {back}");
    }

    // Every entry of both transforms against a direct double-precision DFT (separable: 1D DFT sums along rows, then along
    // columns), on the shapes the repulsion uses: data only in the top-left m×m block, m ≤ L/2 (the zero-padded fast
    // paths) or m = L (the kernel), and m past L/2 or not a multiple of 8. Everything outside the block is NaN (the
    // contract: it is taken as zero), so a zero-skipping path that reads it would show; the transform's own buffers
    // are dirtied first, so one that relies on them being zero would show too.
    [Theory]
    [InlineData(64, 32)]
    [InlineData(64, 29)]
    [InlineData(64, 64)]
    [InlineData(64, 45)]
    [InlineData(128, 63)]
    [InlineData(192, 96)]
    [InlineData(192, 91)]
    [InlineData(192, 192)]
    [InlineData(192, 130)]
    [InlineData(256, 126)]
    public void EveryEntryMatchesDirectDftOnZeroPaddedBlock(int l, int m)
    {
        var fft = new Fft2D(l);
        int ld = fft.Stride;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = 2 };
        var rng = new Random(l * 1000 + m);
        // Dirty the internal buffers with a full-size transform of other data.
        var junkRe = new float[fft.Size]; var junkIm = new float[fft.Size];
        for (int t = 0; t < junkRe.Length; t++) { junkRe[t] = 100 + t % 7; junkIm[t] = -50 - t % 5; }
        fft.ForwardTransposed(ref junkRe, ref junkIm, l, parallel);
        fft.InverseFromTransposed(ref junkRe, ref junkIm, l, parallel);

        var x = new System.Numerics.Complex[l, l]; // [row, col]
        var re = new float[fft.Size]; var im = new float[fft.Size]; // [L, Stride]
        Array.Fill(re, float.NaN); Array.Fill(im, float.NaN);
        for (int r = 0; r < l; r++)
            for (int c = 0; c < l; c++)
            {
                if (r >= m || c >= m) continue;
                re[r * ld + c] = (float)(rng.NextDouble() - 0.5); im[r * ld + c] = (float)(rng.NextDouble() - 0.5);
                x[r, c] = new(re[r * ld + c], im[r * ld + c]);
            }

        fft.ForwardTransposed(ref re, ref im, m, parallel);
        var spectrum = DirectDft(x, l, inverse: false); // [u, v] = Σ x[r, c] e^{−2πi(ur + vc)/L}
        double scale = Math.Sqrt((double)m * m / 6), err = 0; // scale: rms |X| of uniform(−½, ½) data
        for (int u = 0; u < l; u++)
            for (int v = 0; v < l; v++)
                err = Math.Max(err, (new System.Numerics.Complex(re[v * ld + u], im[v * ld + u]) - spectrum[u, v]).Magnitude);
        Assert.True(err < 2e-6 * m * scale, $"L {l}, m {m}: forward error {err} vs scale {scale}");

        // Inverse of a full random spectrum (given transposed, as ForwardTransposed leaves it), top-left m×m block only.
        var y = new System.Numerics.Complex[l, l]; // [u, v]
        for (int u = 0; u < l; u++)
            for (int v = 0; v < l; v++)
            {
                float a = (float)(rng.NextDouble() - 0.5), b = (float)(rng.NextDouble() - 0.5);
                re[v * ld + u] = a; im[v * ld + u] = b; y[u, v] = new(a, b);
            }
        fft.InverseFromTransposed(ref re, ref im, m, parallel);
        var back = DirectDft(y, l, inverse: true); // [r, c] = Σ y[u, v] e^{+2πi(ur + vc)/L}
        double scaleBack = Math.Sqrt((double)l * l / 6); err = 0;
        for (int r = 0; r < m; r++)
            for (int c = 0; c < m; c++)
                err = Math.Max(err, (new System.Numerics.Complex(re[r * ld + c], im[r * ld + c]) - back[r, c]).Magnitude);
        Assert.True(err < 2e-6 * l * scaleBack, $"L {l}, m {m}: inverse error {err} vs scale {scaleBack}");
    }

    /// <summary>2D DFT by direct sums in double, rows then columns.</summary>
    private static System.Numerics.Complex[,] DirectDft(System.Numerics.Complex[,] x, int l, bool inverse)
    {
        var w = new System.Numerics.Complex[l]; // e^{∓2πi j/L}
        for (int j = 0; j < l; j++) w[j] = System.Numerics.Complex.FromPolarCoordinates(1, (inverse ? 2 : -2) * Math.PI * j / l);
        var half = new System.Numerics.Complex[l, l]; // [r, v]: along columns index c
        for (int r = 0; r < l; r++)
            for (int v = 0; v < l; v++)
            {
                System.Numerics.Complex sum = 0;
                for (int c = 0; c < l; c++) sum += x[r, c] * w[(int)((long)v * c % l)];
                half[r, v] = sum;
            }
        var result = new System.Numerics.Complex[l, l]; // [u, v]
        for (int u = 0; u < l; u++)
            for (int v = 0; v < l; v++)
            {
                System.Numerics.Complex sum = 0;
                for (int r = 0; r < l; r++) sum += half[r, v] * w[(int)((long)u * r % l)];
                result[u, v] = sum;
            }
        return result;
    }

    // Columns go to tasks in fixed strips, so one thread and two must give the same bits.
    [Theory]
    [InlineData(256)]
    [InlineData(192)]
    public void SameBitsForAnyThreadCount(int l)
    {
        float[] Run(int threads)
        {
            var fft = new Fft2D(l);
            int ld = fft.Stride, m = l / 2 - 3;
            var rng = new Random(7);
            var re = new float[fft.Size]; var im = new float[fft.Size]; // [L, Stride]
            for (int r = 0; r < m; r++)
                for (int c = 0; c < m; c++) { re[r * ld + c] = (float)rng.NextDouble(); im[r * ld + c] = (float)rng.NextDouble(); }
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = threads };
            fft.ForwardTransposed(ref re, ref im, m, parallel);
            var spectrum = re.Concat(im).ToArray();
            fft.InverseFromTransposed(ref re, ref im, m, parallel);
            var result = new List<float>(spectrum);
            for (int r = 0; r < m; r++) for (int c = 0; c < m; c++) { result.Add(re[r * ld + c]); result.Add(im[r * ld + c]); }
            return result.ToArray();
        }
        Assert.Equal(Run(1), Run(2));
    }

    [Fact]
    public void NextSizeStepsThroughPowersOfTwoAndThreeTimesThem()
    {
        Assert.Equal(new[] { 64, 128, 192, 256, 384, 512, 768, 1024 },
            new[] { 1, 65, 129, 193, 257, 385, 513, 769 }.Select(Fft2D.NextSize).ToArray());
    }
}
