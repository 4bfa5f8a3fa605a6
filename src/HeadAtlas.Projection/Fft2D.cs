using System.Numerics;
using System.Runtime.Intrinsics;

namespace HeadAtlas.Projection;

/// <summary>
/// Square 2D complex FFT of size L×L (L a power of two), float, split real/imaginary arrays, row-major [L, L].
/// One pass transforms every column at once: a radix-2 butterfly combines two whole rows with one twiddle, so
/// the inner loop is a plain SIMD loop along the row. Columns are processed in strips of <see cref="Strip"/>
/// (one strip per task, so results do not depend on the thread count). A 2D transform is column pass → transpose
/// → column pass, which leaves the spectrum transposed; <see cref="Convolve"/> undoes it on the way back, and the
/// kernel spectrum is made by the same forward routine so both share the layout.
/// </summary>
internal sealed class Fft2D
{
    private const int Strip = 64;
    public int L { get; }
    /// <summary>Distance between rows in floats: L plus a cache line, so that walking down a column does not hit the
    /// same few cache sets (a power-of-two stride would).</summary>
    public int Stride { get; }
    /// <summary>Array length of one grid: L rows of <see cref="Stride"/>.</summary>
    public int Size => L * Stride;
    private readonly int logL;
    private readonly float[] cos, sin; // [L/2] twiddles e^{−2πi j/L}
    private readonly int[] bitReverse;  // [L]
    private float[] tmpRe, tmpIm; // [L, L] transpose buffers (swapped with the caller's arrays)

    public Fft2D(int l)
    {
        if (l < Strip || !BitOperations.IsPow2(l)) throw new ArgumentException($"FFT size must be a power of two ≥ {Strip} (got {l})");
        L = l;
        Stride = l + 16;
        logL = BitOperations.Log2((uint)l);
        cos = new float[l / 2];
        sin = new float[l / 2];
        for (int j = 0; j < l / 2; j++)
        {
            double angle = -2 * Math.PI * j / l;
            cos[j] = (float)Math.Cos(angle);
            sin[j] = (float)Math.Sin(angle);
        }
        bitReverse = new int[l];
        for (int i = 0; i < l; i++) bitReverse[i] = (int)(ReverseBits((uint)i) >> (32 - logL));
        tmpRe = new float[Size];
        tmpIm = new float[Size];
    }

    private static uint ReverseBits(uint v)
    {
        uint r = 0;
        for (int b = 0; b < 32; b++) { r = (r << 1) | (v & 1); v >>= 1; }
        return r;
    }

    /// <summary>Forward 2D FFT in place; only columns below <paramref name="activeCols"/> may be nonzero on input.
    /// Output is the spectrum transposed.</summary>
    public void ForwardTransposed(ref float[] re, ref float[] im, int activeCols, ParallelOptions parallel)
    {
        ColumnPass(re, im, activeCols, inverse: false, parallel);
        Transpose(re, im, tmpRe, tmpIm, parallel);
        ColumnPass(tmpRe, tmpIm, L, inverse: false, parallel);
        (re, tmpRe) = (tmpRe, re);
        (im, tmpIm) = (tmpIm, im);
    }

    /// <summary>Inverse of <see cref="ForwardTransposed"/> (unnormalized: the result is L² times the input);
    /// only columns below <paramref name="activeCols"/> of the result are computed.</summary>
    public void InverseFromTransposed(ref float[] re, ref float[] im, int activeCols, ParallelOptions parallel)
    {
        ColumnPass(re, im, L, inverse: true, parallel);
        Transpose(re, im, tmpRe, tmpIm, parallel);
        ColumnPass(tmpRe, tmpIm, activeCols, inverse: true, parallel);
        (re, tmpRe) = (tmpRe, re);
        (im, tmpIm) = (tmpIm, im);
    }

    /// <summary>Transforms every column (along the row index) of columns [0, activeCols), strip by strip.</summary>
    private void ColumnPass(float[] re, float[] im, int activeCols, bool inverse, ParallelOptions parallel)
    {
        int strips = (Math.Min(activeCols, L) + Strip - 1) / Strip;
        Parallel.For(0, strips, parallel, s => ColumnStrip(re, im, s * Strip, inverse));
    }

    private unsafe void ColumnStrip(float[] re, float[] im, int col0, bool inverse)
    {
        int l = L, ld = Stride;
        fixed (float* pr = re, pi = im)
        {
            for (int i = 0; i < l; i++)
            {
                int j = bitReverse[i];
                if (j <= i) continue;
                float* ar = pr + (long)i * ld + col0, ai = pi + (long)i * ld + col0;
                float* br = pr + (long)j * ld + col0, bi = pi + (long)j * ld + col0;
                for (int c = 0; c < Strip; c += Vector256<float>.Count)
                {
                    var t = Vector256.Load(ar + c); Vector256.Store(Vector256.Load(br + c), ar + c); Vector256.Store(t, br + c);
                    t = Vector256.Load(ai + c); Vector256.Store(Vector256.Load(bi + c), ai + c); Vector256.Store(t, bi + c);
                }
            }
            float sign = inverse ? -1f : 1f;
            for (int size = 2, step = l / 2; size <= l; size *= 2, step /= 2)
            {
                int half = size / 2;
                for (int start = 0; start < l; start += size)
                    for (int k = 0; k < half; k++)
                    {
                        var wr = Vector256.Create(cos[k * step]);
                        var wi = Vector256.Create(sign * sin[k * step]);
                        float* ar = pr + (long)(start + k) * ld + col0, ai = pi + (long)(start + k) * ld + col0;
                        float* br = ar + (long)half * ld, bi = ai + (long)half * ld;
                        for (int c = 0; c < Strip; c += Vector256<float>.Count)
                        {
                            var xr = Vector256.Load(br + c);
                            var xi = Vector256.Load(bi + c);
                            var tr = wr * xr - wi * xi;
                            var ti = wr * xi + wi * xr;
                            var yr = Vector256.Load(ar + c);
                            var yi = Vector256.Load(ai + c);
                            Vector256.Store(yr + tr, ar + c);
                            Vector256.Store(yi + ti, ai + c);
                            Vector256.Store(yr - tr, br + c);
                            Vector256.Store(yi - ti, bi + c);
                        }
                    }
            }
        }
    }

    private static unsafe void TransposeTile(float[] src, float[] dst, int ld, int r0, int c0, int tile)
    {
        fixed (float* ps = src, pd = dst)
            for (int r = r0; r < r0 + tile; r++)
            {
                float* from = ps + (long)r * ld + c0;
                float* to = pd + (long)c0 * ld + r;
                for (int c = 0; c < tile; c++) to[(long)c * ld] = from[c];
            }
    }

    private void Transpose(float[] re, float[] im, float[] outRe, float[] outIm, ParallelOptions parallel)
    {
        const int tile = 32;
        int l = L, tiles = l / tile;
        Parallel.For(0, tiles, parallel, tr =>
        {
            for (int tc = 0; tc < tiles; tc++)
            {
                TransposeTile(re, outRe, Stride, tr * tile, tc * tile, tile);
                TransposeTile(im, outIm, Stride, tr * tile, tc * tile, tile);
            }
        });
    }
}
