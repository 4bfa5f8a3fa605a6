using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace HeadAtlas.Projection;

/// <summary>
/// Square 2D complex FFT of size L×L (L = 2^k or 3·2^k: a radix-3 pass on top of radix-2 halves the padding waste), float, split real/imaginary arrays, row-major [L, L].
/// One pass transforms every column at once: a radix-2 butterfly combines two whole rows with one twiddle, so
/// the inner loop is a plain SIMD loop along the row. Columns are processed in strips of <see cref="Strip"/>
/// (one strip per task, so results do not depend on the thread count). A 2D transform is column pass → transpose
/// → column pass, which leaves the spectrum transposed; the inverse takes it in that layout, and the repulsion's
/// kernel spectrum is made by the same forward routine so both share it. Each column pass reads one array and writes
/// the other (its first two stages fused with the bit-reversal), the transpose writes back, so no pass permutes in place.
/// The repulsion's grids are zero-padded (data in the top-left m×m block, m ≤ L/2) and it needs only that block of
/// the result: the forward pass skips the zero rows and columns, the transposes move only the m rows or columns that
/// matter.
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
    [ThreadStatic] private static float[]? scratchRe, scratchIm; // [L, Strip] the three M-point sequences of one strip, for the radix-3 path
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

    /// <summary>Forward 2D FFT; the result comes back in <paramref name="re"/>/<paramref name="im"/> (swapped with internal
    /// buffers, the input is destroyed). Only the top-left <paramref name="activeCols"/> × <paramref name="activeCols"/>
    /// block of the input is used: everything outside it is taken as zero, whatever it holds (the repulsion's grids
    /// are zero there; the kernel passes activeCols = L). Output is the whole spectrum, transposed.</summary>
    public void ForwardTransposed(ref float[] re, ref float[] im, int activeCols, ParallelOptions parallel)
    {
        int m = Math.Min(activeCols, L), m8 = RoundUp(m, 8);
        // Columns at or past m stay zero through the first pass, so only the first m8 columns are moved; the
        // second pass reads only the first m rows of the transposed grid (the rest of `re` holds stale data).
        ColumnPass(re, im, tmpRe, tmpIm, m, activeRows: m, outRows: L, inverse: false, parallel);
        Transpose(tmpRe, tmpIm, re, im, L, m8, parallel);
        ColumnPass(re, im, tmpRe, tmpIm, L, activeRows: m, outRows: L, inverse: false, parallel);
        (re, tmpRe) = (tmpRe, re);
        (im, tmpIm) = (tmpIm, im);
    }

    /// <summary>Inverse of <see cref="ForwardTransposed"/> (unnormalized: the result is L² times the input). Only the
    /// top-left <paramref name="activeCols"/> × <paramref name="activeCols"/> block of the result is computed; the
    /// rest of the returned arrays is undefined.</summary>
    public void InverseFromTransposed(ref float[] re, ref float[] im, int activeCols, ParallelOptions parallel)
    {
        int m = Math.Min(activeCols, L), m8 = RoundUp(m, 8);
        ColumnPass(re, im, tmpRe, tmpIm, L, activeRows: L, outRows: m8, inverse: true, parallel);
        // Rows at or past m8 of the first pass only feed result rows at or past m, which nobody asked for.
        Transpose(tmpRe, tmpIm, re, im, m8, L, parallel);
        ColumnPass(re, im, tmpRe, tmpIm, m, activeRows: L, outRows: m, inverse: true, parallel);
        (re, tmpRe) = (tmpRe, re);
        (im, tmpIm) = (tmpIm, im);
    }

    private static int RoundUp(int v, int to) => (v + to - 1) / to * to;

    /// <summary>Transforms every column (along the row index) of columns [0, activeCols) of <paramref name="srcRe"/>/<paramref name="srcIm"/>
    /// into the same columns of <paramref name="dstRe"/>/<paramref name="dstIm"/>, strip by strip. Source rows at or past
    /// <paramref name="activeRows"/> are taken as zero and not read; destination rows at or past <paramref name="outRows"/>
    /// may be left uncomputed.</summary>
    private void ColumnPass(float[] srcRe, float[] srcIm, float[] dstRe, float[] dstIm, int activeCols, int activeRows, int outRows, bool inverse, ParallelOptions parallel)
    {
        int strips = (Math.Min(activeCols, L) + Strip - 1) / Strip;
        if (strips == 1 || parallel.MaxDegreeOfParallelism == 1)
        {
            for (int s = 0; s < strips; s++) ColumnStrip(srcRe, srcIm, dstRe, dstIm, s * Strip, activeRows, outRows, inverse);
            return;
        }
        Parallel.For(0, strips, parallel, s => ColumnStrip(srcRe, srcIm, dstRe, dstIm, s * Strip, activeRows, outRows, inverse));
    }

    private unsafe void ColumnStrip(float[] srcRe, float[] srcIm, float[] dstRe, float[] dstIm, int col0, int activeRows, int outRows, bool inverse)
    {
        fixed (float* sr = srcRe, si = srcIm, dr = dstRe, di = dstIm)
        {
            if (radix3) ColumnStripRadix3(sr + col0, si + col0, dr + col0, di + col0, activeRows, outRows, inverse);
            else
            {
                // Power-of-two L: read in bit-reversed order straight into the destination, transformed there in place.
                var job = new StripJob(L, sr + col0, si + col0, Stride, 1, 0, activeRows, dr + col0, di + col0, Stride, inverse);
                if (outRows <= L / 2)
                {
                    // Only the first half of the result is needed: the last stage's differences are skipped.
                    for (int b = 0; b < 4; b++) Block(ref job, b * L / 4, L / 4);
                    DoubleStage(dr + col0, di + col0, Stride, 0, L / 2, inverse, firstHalfOnly: true);
                }
                else Block(ref job, 0, L);
            }
        }
    }

    /// <summary>One M-point FFT (M = the radix-2 part) of a strip of <see cref="Strip"/> columns: sequence element q is
    /// source row RowMul·q + RowOff (zero at or past ActiveRows, not read), the result goes to the destination rows 0..M−1.</summary>
    private readonly unsafe struct StripJob(int m, float* sr, float* si, int srcLd, int rowMul, int rowOff, int activeRows, float* dr, float* di, int dstLd, bool inverse)
    {
        public readonly float* Sr = sr, Si = si, Dr = dr, Di = di;
        public readonly int M = m, SrcLd = srcLd, RowMul = rowMul, RowOff = rowOff, ActiveRows = activeRows, DstLd = dstLd;
        public readonly bool Inverse = inverse;
        public readonly Vector256<float> Sign = Vector256.Create(inverse ? -1f : 1f);
    }

    /// <summary>
    /// Transforms destination rows [start, start+n) (a block of the decimation-in-time tree: after bit reversal its
    /// n-point DFT needs only its own rows) depth first: its four quarters, then the two stages that join them. Small
    /// blocks are finished while still in L1 (16 rows of a strip are 8 KB, 64 rows 32 KB), so only the last pair of
    /// stages streams the whole strip from L2, instead of every pair (7 % less time at L = 256 than stage by stage).
    /// </summary>
    private unsafe void Block(ref StripJob job, int start, int n)
    {
        if (n == 4) { FirstQuad(ref job, start); return; }
        if (n == 8)
        {
            FirstQuad(ref job, start); FirstQuad(ref job, start + 4);
            SingleStage(job.Dr, job.Di, job.DstLd, start, 8, job.Inverse);
            return;
        }
        int q = n / 4;
        for (int b = 0; b < 4; b++) Block(ref job, start + b * q, q);
        DoubleStage(job.Dr, job.Di, job.DstLd, start, n / 2, job.Inverse, firstHalfOnly: false);
    }

    /// <summary>Strip of zeros that stands in for source rows known to be zero (pinned, so its address is fixed).</summary>
    private static readonly float[] ZeroRow = GC.AllocateArray<float>(Strip, pinned: true);
    private static readonly unsafe float* ZeroPtr = (float*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref ZeroRow[0]);

    /// <summary>
    /// The first two radix-2 stages for destination rows p..p+3 (p a multiple of 4), fused with the bit-reversal
    /// permutation: a length-4 DFT of sequence elements rev(p) + {0, M/2, M/4, 3M/4}; both twiddles of these stages
    /// are ±1 or ∓i. When the second and fourth of them are zero (zero padding), half the loads and adds are skipped.
    /// </summary>
    private unsafe void FirstQuad(ref StripJob job, int p)
    {
        int mm = job.M, q0 = bitReverse[p], ld = job.SrcLd, active = job.ActiveRows;
        var s = job.Sign; // multiplying by w_4 = ∓i: (x, y) → (±y, ∓x)
        int r0 = job.RowMul * q0 + job.RowOff, r1 = r0 + job.RowMul * (mm / 2);
        int r2 = r0 + job.RowMul * (mm / 4), r3 = r0 + job.RowMul * (3 * mm / 4);
        float* sr = job.Sr, si = job.Si, zero = ZeroPtr;
        float* o0r = job.Dr + (long)p * job.DstLd, o0i = job.Di + (long)p * job.DstLd;
        float* o1r = o0r + job.DstLd, o1i = o0i + job.DstLd, o2r = o1r + job.DstLd, o2i = o1i + job.DstLd, o3r = o2r + job.DstLd, o3i = o2i + job.DstLd;
        float* a0r = r0 < active ? sr + (long)r0 * ld : zero, a0i = r0 < active ? si + (long)r0 * ld : zero;
        float* a2r = r2 < active ? sr + (long)r2 * ld : zero, a2i = r2 < active ? si + (long)r2 * ld : zero;
        if (r1 >= active && r3 >= active)
        {
            for (int c = 0; c < Strip; c += Vector256<float>.Count)
            {
                var x0r = Vector256.Load(a0r + c); var x0i = Vector256.Load(a0i + c);
                var x2r = Vector256.Load(a2r + c); var x2i = Vector256.Load(a2i + c);
                var tr = s * x2i; var ti = s * x2r;
                Vector256.Store(x0r + x2r, o0r + c); Vector256.Store(x0i + x2i, o0i + c);
                Vector256.Store(x0r - x2r, o2r + c); Vector256.Store(x0i - x2i, o2i + c);
                Vector256.Store(x0r + tr, o1r + c); Vector256.Store(x0i - ti, o1i + c);
                Vector256.Store(x0r - tr, o3r + c); Vector256.Store(x0i + ti, o3i + c);
            }
            return;
        }
        float* a1r = r1 < active ? sr + (long)r1 * ld : zero, a1i = r1 < active ? si + (long)r1 * ld : zero;
        float* a3r = r3 < active ? sr + (long)r3 * ld : zero, a3i = r3 < active ? si + (long)r3 * ld : zero;
        for (int c = 0; c < Strip; c += Vector256<float>.Count)
        {
            var x0r = Vector256.Load(a0r + c); var x0i = Vector256.Load(a0i + c);
            var x1r = Vector256.Load(a1r + c); var x1i = Vector256.Load(a1i + c);
            var y0r = x0r + x1r; var y0i = x0i + x1i; var y1r = x0r - x1r; var y1i = x0i - x1i;
            var x2r = Vector256.Load(a2r + c); var x2i = Vector256.Load(a2i + c);
            var x3r = Vector256.Load(a3r + c); var x3i = Vector256.Load(a3i + c);
            var y2r = x2r + x3r; var y2i = x2i + x3i; var y3r = x2r - x3r; var y3i = x2i - x3i;
            var tr = s * y3i; var ti = s * y3r;
            Vector256.Store(y0r + y2r, o0r + c); Vector256.Store(y0i + y2i, o0i + c);
            Vector256.Store(y0r - y2r, o2r + c); Vector256.Store(y0i - y2i, o2i + c);
            Vector256.Store(y1r + tr, o1r + c); Vector256.Store(y1i - ti, o1i + c);
            Vector256.Store(y1r - tr, o3r + c); Vector256.Store(y1i + ti, o3i + c);
        }
    }

    /// <summary>
    /// L = 3M: rows are split by r mod 3 into three sequences, each gets an M-point FFT in a scratch strip (its first
    /// two stages read straight from the source in bit-reversed order), and one radix-3 pass combines them into the
    /// destination: X[k + jM] = Σ_g w_L^{gk} w_3^{gj} F_g[k].
    /// </summary>
    private unsafe void ColumnStripRadix3(float* pr, float* pi, float* outR, float* outI, int activeRows, int outRows, bool inverse)
    {
        int l = L, ld = Stride, m = l / 3;
        if (scratchRe is null || scratchIm is null || scratchRe.Length < l * Strip) { scratchRe = new float[l * Strip]; scratchIm = new float[l * Strip]; }
        float[] bufRe = scratchRe, bufIm = scratchIm;
        float sign = inverse ? -1f : 1f;
        fixed (float* sr = bufRe, si = bufIm)
        {
            for (int g = 0; g < 3; g++)
            {
                var job = new StripJob(m, pr, pi, ld, 3, g, activeRows, sr + (long)g * m * Strip, si + (long)g * m * Strip, Strip, inverse);
                Block(ref job, 0, m);
            }

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
                float* x0r = outR + (long)k * ld, x0i = outI + (long)k * ld;
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
                    if (k + m >= outRows) continue; // rows k + M and k + 2M not wanted
                    Vector256.Store(tr + c3 * di, x1r + c); Vector256.Store(ti - c3 * dr, x1i + c);
                    if (k + 2 * m >= outRows) continue;
                    Vector256.Store(tr - c3 * di, x2r + c); Vector256.Store(ti + c3 * dr, x2i + c);
                }
            }
        }
    }

    /// <summary>Radix-2 decimation-in-time stages <paramref name="size"/> and 2·<paramref name="size"/> over rows
    /// [start, start + 2·size) of one strip, rows <paramref name="ld"/> floats apart: each quad of rows gets both
    /// butterflies while in registers, which halves the passes over memory; the arithmetic per element is the same
    /// as stage by stage.</summary>
    private unsafe void DoubleStage(float* pr, float* pi, int ld, int start, int size, bool inverse, bool firstHalfOnly)
    {
        float sign = inverse ? -1f : 1f;
        int h = size / 2, step1 = L / size, step2 = L / (2 * size);
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
                if (firstHalfOnly) // rows r2, r3 are not wanted (the branch goes the same way for the whole call)
                {
                    Vector256.Store(a1r + (cr * a3r - ci * a3i), r1 + c); Vector256.Store(a1i + (cr * a3i + ci * a3r), i1 + c);
                    continue;
                }
                Vector256.Store(a0r - tr, r2 + c); Vector256.Store(a0i - ti, i2 + c);
                tr = cr * a3r - ci * a3i; ti = cr * a3i + ci * a3r;
                Vector256.Store(a1r + tr, r1 + c); Vector256.Store(a1i + ti, i1 + c);
                Vector256.Store(a1r - tr, r3 + c); Vector256.Store(a1i - ti, i3 + c);
            }
        }
    }

    /// <summary>Radix-2 stage <paramref name="size"/> over rows [start, start + size) of one strip.</summary>
    private unsafe void SingleStage(float* pr, float* pi, int ld, int start, int size, bool inverse)
    {
        float sign = inverse ? -1f : 1f;
        int half = size / 2, step = L / size; // w_size^k = w_L^{k·L/size}
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

    /// <summary>dst[c, r] = src[r, c] for r &lt; <paramref name="rows"/>, c &lt; <paramref name="cols"/> (both multiples of 8),
    /// for both parts, in 8×8 blocks transposed in AVX registers.</summary>
    private void Transpose(float[] re, float[] im, float[] outRe, float[] outIm, int rows, int cols, ParallelOptions parallel)
    {
        const int band = 32; // source rows per task
        int bands = (rows + band - 1) / band;
        if (bands == 1 || parallel.MaxDegreeOfParallelism == 1) { TransposeBand(re, outRe, 0, rows, cols); TransposeBand(im, outIm, 0, rows, cols); return; }
        Parallel.For(0, bands, parallel, b =>
        {
            int r0 = b * band, r1 = Math.Min(rows, r0 + band);
            TransposeBand(re, outRe, r0, r1, cols);
            TransposeBand(im, outIm, r0, r1, cols);
        });
    }

    private unsafe void TransposeBand(float[] src, float[] dst, int r0, int r1, int cols)
    {
        int ld = Stride;
        fixed (float* ps = src, pd = dst)
            for (int r = r0; r < r1; r += 8)
                for (int c = 0; c < cols; c += 8)
                    Transpose8x8(ps + (long)r * ld + c, pd + (long)c * ld + r, ld);
    }

    /// <summary>Transposes the 8×8 block at <paramref name="s"/> into <paramref name="d"/> (rows <paramref name="ld"/> floats apart).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static unsafe void Transpose8x8(float* s, float* d, int ld)
    {
        if (Avx.IsSupported)
        {
            var x0 = Avx.LoadVector256(s); var x1 = Avx.LoadVector256(s + ld);
            var x2 = Avx.LoadVector256(s + 2 * ld); var x3 = Avx.LoadVector256(s + 3 * ld);
            var x4 = Avx.LoadVector256(s + 4 * ld); var x5 = Avx.LoadVector256(s + 5 * ld);
            var x6 = Avx.LoadVector256(s + 6 * ld); var x7 = Avx.LoadVector256(s + 7 * ld);
            // pairs of rows interleaved: t0 = (a0 b0 a1 b1 | a4 b4 a5 b5), ...
            var t0 = Avx.UnpackLow(x0, x1); var t1 = Avx.UnpackHigh(x0, x1);
            var t2 = Avx.UnpackLow(x2, x3); var t3 = Avx.UnpackHigh(x2, x3);
            var t4 = Avx.UnpackLow(x4, x5); var t5 = Avx.UnpackHigh(x4, x5);
            var t6 = Avx.UnpackLow(x6, x7); var t7 = Avx.UnpackHigh(x6, x7);
            // groups of four rows: u0 = (a0 b0 c0 d0 | a4 b4 c4 d4), ...
            var u0 = Avx.Shuffle(t0, t2, 0x44); var u1 = Avx.Shuffle(t0, t2, 0xEE);
            var u2 = Avx.Shuffle(t1, t3, 0x44); var u3 = Avx.Shuffle(t1, t3, 0xEE);
            var u4 = Avx.Shuffle(t4, t6, 0x44); var u5 = Avx.Shuffle(t4, t6, 0xEE);
            var u6 = Avx.Shuffle(t5, t7, 0x44); var u7 = Avx.Shuffle(t5, t7, 0xEE);
            Avx.Store(d, Avx.Permute2x128(u0, u4, 0x20)); Avx.Store(d + ld, Avx.Permute2x128(u1, u5, 0x20));
            Avx.Store(d + 2 * ld, Avx.Permute2x128(u2, u6, 0x20)); Avx.Store(d + 3 * ld, Avx.Permute2x128(u3, u7, 0x20));
            Avx.Store(d + 4 * ld, Avx.Permute2x128(u0, u4, 0x31)); Avx.Store(d + 5 * ld, Avx.Permute2x128(u1, u5, 0x31));
            Avx.Store(d + 6 * ld, Avx.Permute2x128(u2, u6, 0x31)); Avx.Store(d + 7 * ld, Avx.Permute2x128(u3, u7, 0x31));
            return;
        }
        for (int r = 0; r < 8; r++)
            for (int c = 0; c < 8; c++) d[(long)c * ld + r] = s[(long)r * ld + c];
    }
}
