using System.Numerics;
using System.Runtime.Intrinsics;

namespace HeadAtlas.Projection;

/// <summary>
/// Square 2D complex FFT of size L×L (L = 2^k or 3·2^k: a radix-3 pass on top of radix-2 halves the padding waste), float, split real/imaginary arrays, row-major [L, L].
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
    private readonly int logM;
    private readonly bool radix3;       // L = 3·M with M a power of two, else L = M
    private readonly float[] cos, sin; // [L] twiddles e^{−2πi j/L}
    private readonly int[] bitReverse;  // [M]
    [ThreadStatic] private static float[]? scratchRe, scratchIm; // [L, Strip] one strip, for the radix-3 path
    private float[] tmpRe, tmpIm; // [L, L] transpose buffers (swapped with the caller's arrays)

    public Fft2D(int l)
    {
        if (!IsSupportedSize(l)) throw new ArgumentException($"FFT size must be 2^k or 3·2^k and a multiple of {Strip} (got {l})");
        L = l;
        Stride = l + 16;
        radix3 = !BitOperations.IsPow2(l);
        int m = radix3 ? l / 3 : l; // the radix-2 part
        logM = BitOperations.Log2((uint)m);
        cos = new float[l];
        sin = new float[l];
        for (int j = 0; j < l; j++)
        {
            double angle = -2 * Math.PI * j / l;
            cos[j] = (float)Math.Cos(angle);
            sin[j] = (float)Math.Sin(angle);
        }
        bitReverse = new int[m];
        for (int i = 0; i < m; i++) bitReverse[i] = logM == 0 ? 0 : (int)(ReverseBits((uint)i) >> (32 - logM));
        tmpRe = new float[Size];
        tmpIm = new float[Size];
    }

    /// <summary>Sizes this FFT handles: 2^k or 3·2^k, at least one strip wide and a whole number of strips.</summary>
    public static bool IsSupportedSize(int l) =>
        l >= Strip && l % Strip == 0 && (BitOperations.IsPow2(l) || (l % 3 == 0 && BitOperations.IsPow2(l / 3)));

    /// <summary>The smallest supported size ≥ <paramref name="atLeast"/> (sizes step by factors 3/2 and 4/3).</summary>
    public static int NextSize(int atLeast)
    {
        int l = Strip;
        while (l < atLeast || !IsSupportedSize(l)) l += Strip;
        return l;
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

    private void ColumnStrip(float[] re, float[] im, int col0, bool inverse)
    {
        if (radix3) ColumnStripRadix3(re, im, col0, inverse);
        else ColumnStripRadix2(re, im, col0, inverse);
    }

    /// <summary>Power-of-two L: in-place bit-reversal permutation, then radix-2 stages.</summary>
    private unsafe void ColumnStripRadix2(float[] re, float[] im, int col0, bool inverse)
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
            Radix2Stages(pr + col0, pi + col0, ld, l, inverse);
        }
    }

    /// <summary>
    /// L = 3M: rows are split by r mod 3 into three sequences (each bit-reversed) in a scratch strip, each gets an
    /// M-point FFT, and one radix-3 pass combines them: X[k + jM] = Σ_g w_L^{gk} w_3^{gj} F_g[k].
    /// </summary>
    private unsafe void ColumnStripRadix3(float[] re, float[] im, int col0, bool inverse)
    {
        int l = L, ld = Stride, m = l / 3;
        if (scratchRe is null || scratchIm is null || scratchRe.Length < l * Strip) { scratchRe = new float[l * Strip]; scratchIm = new float[l * Strip]; }
        float[] bufRe = scratchRe, bufIm = scratchIm;
        float sign = inverse ? -1f : 1f;
        fixed (float* pr = re, pi = im, sr = bufRe, si = bufIm)
        {
            for (int g = 0; g < 3; g++)
                for (int q = 0; q < m; q++)
                {
                    float* fr = pr + (long)(3 * q + g) * ld + col0, fi = pi + (long)(3 * q + g) * ld + col0;
                    float* tr = sr + (long)(g * m + bitReverse[q]) * Strip, ti = si + (long)(g * m + bitReverse[q]) * Strip;
                    for (int c = 0; c < Strip; c += Vector256<float>.Count)
                    {
                        Vector256.Store(Vector256.Load(fr + c), tr + c);
                        Vector256.Store(Vector256.Load(fi + c), ti + c);
                    }
                }
            for (int g = 0; g < 3; g++) Radix2Stages(sr + (long)g * m * Strip, si + (long)g * m * Strip, Strip, m, inverse);

            // t = F0 − (a+b)/2, d = a − b with a = w^k F1, b = w^{2k} F2; X0 = F0 + a + b, X1,2 = t ∓ c·i·d, c = ±√3/2.
            var half = Vector256.Create(0.5f);
            var c3 = Vector256.Create(sign * (float)(Math.Sqrt(3) / 2));
            for (int k = 0; k < m; k++)
            {
                var w1r = Vector256.Create(cos[k]); var w1i = Vector256.Create(sign * sin[k]);
                var w2r = Vector256.Create(cos[2 * k]); var w2i = Vector256.Create(sign * sin[2 * k]);
                float* f0r = sr + (long)k * Strip, f0i = si + (long)k * Strip;
                float* f1r = f0r + (long)m * Strip, f1i = f0i + (long)m * Strip;
                float* f2r = f1r + (long)m * Strip, f2i = f1i + (long)m * Strip;
                float* x0r = pr + (long)k * ld + col0, x0i = pi + (long)k * ld + col0;
                float* x1r = x0r + (long)m * ld, x1i = x0i + (long)m * ld;
                float* x2r = x1r + (long)m * ld, x2i = x1i + (long)m * ld;
                for (int c = 0; c < Strip; c += Vector256<float>.Count)
                {
                    var g1r = Vector256.Load(f1r + c); var g1i = Vector256.Load(f1i + c);
                    var g2r = Vector256.Load(f2r + c); var g2i = Vector256.Load(f2i + c);
                    var ar = w1r * g1r - w1i * g1i; var ai = w1r * g1i + w1i * g1r;
                    var br = w2r * g2r - w2i * g2i; var bi = w2r * g2i + w2i * g2r;
                    var sr0 = ar + br; var si0 = ai + bi;
                    var dr = ar - br; var di = ai - bi;
                    var f0rv = Vector256.Load(f0r + c); var f0iv = Vector256.Load(f0i + c);
                    var tr = f0rv - half * sr0; var ti = f0iv - half * si0;
                    Vector256.Store(f0rv + sr0, x0r + c); Vector256.Store(f0iv + si0, x0i + c);
                    Vector256.Store(tr + c3 * di, x1r + c); Vector256.Store(ti - c3 * dr, x1i + c);
                    Vector256.Store(tr - c3 * di, x2r + c); Vector256.Store(ti + c3 * dr, x2i + c);
                }
            }
        }
    }

    /// <summary>Radix-2 decimation-in-time stages over <paramref name="m"/> rows (bit-reversed on input) of one
    /// strip of <see cref="Strip"/> columns, rows <paramref name="ld"/> floats apart. Stages go two at a time (each
    /// quad of rows gets both butterflies while in registers), which halves the passes over memory; the arithmetic
    /// per element is the same as stage by stage.</summary>
    private unsafe void Radix2Stages(float* pr, float* pi, int ld, int m, bool inverse)
    {
        float sign = inverse ? -1f : 1f;
        int size = 2;
        for (; 2 * size <= m; size *= 4)
        {
            int h = size / 2, step1 = L / size, step2 = L / (2 * size);
            for (int start = 0; start < m; start += 2 * size)
                for (int k = 0; k < h; k++)
                {
                    var ar = Vector256.Create(cos[k * step1]); var ai = Vector256.Create(sign * sin[k * step1]);
                    var br = Vector256.Create(cos[k * step2]); var bi = Vector256.Create(sign * sin[k * step2]);
                    var cr = Vector256.Create(cos[(k + h) * step2]); var ci = Vector256.Create(sign * sin[(k + h) * step2]);
                    float* r0 = pr + (long)(start + k) * ld, i0 = pi + (long)(start + k) * ld;
                    float* r1 = r0 + (long)h * ld, i1 = i0 + (long)h * ld;
                    float* r2 = r0 + (long)size * ld, i2 = i0 + (long)size * ld;
                    float* r3 = r2 + (long)h * ld, i3 = i2 + (long)h * ld;
                    for (int c = 0; c < Strip; c += Vector256<float>.Count)
                    {
                        // stage `size`: (0,1) and (2,3) with w_size^k
                        var x1r = Vector256.Load(r1 + c); var x1i = Vector256.Load(i1 + c);
                        var tr = ar * x1r - ai * x1i; var ti = ar * x1i + ai * x1r;
                        var x0r = Vector256.Load(r0 + c); var x0i = Vector256.Load(i0 + c);
                        var a0r = x0r + tr; var a0i = x0i + ti; var a1r = x0r - tr; var a1i = x0i - ti;
                        var x3r = Vector256.Load(r3 + c); var x3i = Vector256.Load(i3 + c);
                        tr = ar * x3r - ai * x3i; ti = ar * x3i + ai * x3r;
                        var x2r = Vector256.Load(r2 + c); var x2i = Vector256.Load(i2 + c);
                        var a2r = x2r + tr; var a2i = x2i + ti; var a3r = x2r - tr; var a3i = x2i - ti;
                        // stage 2·size: (0,2) with w_{2size}^k, (1,3) with w_{2size}^{k+h}
                        tr = br * a2r - bi * a2i; ti = br * a2i + bi * a2r;
                        Vector256.Store(a0r + tr, r0 + c); Vector256.Store(a0i + ti, i0 + c);
                        Vector256.Store(a0r - tr, r2 + c); Vector256.Store(a0i - ti, i2 + c);
                        tr = cr * a3r - ci * a3i; ti = cr * a3i + ci * a3r;
                        Vector256.Store(a1r + tr, r1 + c); Vector256.Store(a1i + ti, i1 + c);
                        Vector256.Store(a1r - tr, r3 + c); Vector256.Store(a1i - ti, i3 + c);
                    }
                }
        }
        if (size <= m) // one stage left
        {
            int half = size / 2, step = L / size; // w_size^k = w_L^{k·L/size}
            for (int start = 0; start < m; start += size)
                for (int k = 0; k < half; k++)
                {
                    var wr = Vector256.Create(cos[k * step]);
                    var wi = Vector256.Create(sign * sin[k * step]);
                    float* ar = pr + (long)(start + k) * ld, ai = pi + (long)(start + k) * ld;
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
