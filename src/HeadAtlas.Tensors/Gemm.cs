namespace HeadAtlas.Tensors;

/// <summary>
/// General matrix multiply on row-major float32 matrices: packed, cache-blocked (BLIS-style loops around an
/// Mr×Nr register-tile micro-kernel), multi-threaded, with AVX-512, AVX2+FMA and portable SIMD kernels.
/// </summary>
/// <remarks>
/// Loop nest: for each column block of B (≤ <see cref="Nc"/> columns) and each depth block (≤ <see cref="Kc"/>)
/// B's block is packed once into Nr-wide panels (shared by all threads, L3-resident); then the work is cut into
/// items of (row block of A, ≤ <see cref="Mc"/> rows) × (a chunk of B panels). Each item sweeps B panels
/// (L1-resident) × groups of Mr rows of A with the micro-kernel. A is not packed: the kernel broadcasts its values
/// straight from Mr row streams (as MLAS does), which saves a copy of A per depth block.
/// Products under <see cref="ParallelThreshold"/> multiply-adds run on the calling thread alone.
/// </remarks>
public static unsafe class Gemm
{
    internal static int Kc = 384;   // depth of a block: k = 384 (BERT-small widths) in one pass; an Nr=16 B panel (24 KB) stays in L1
    internal static int Mc = 96;    // rows of A per block: Mc·Kc·4 = 144 KB of A stays in L2; a multiple of every Mr
    internal const int Nc = 3072;  // columns of B per block; a multiple of every Nr
    internal const long ParallelThreshold = 1L << 21; // m·n·k below this: threading costs more than it saves

    private static int s_threads = Environment.ProcessorCount;

    /// <summary>Threads a large product may use (default: all processors). Small products always use one.</summary>
    public static int Threads
    {
        get => s_threads;
        set => s_threads = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Gemm.Threads must be at least 1");
    }

    /// <summary>
    /// Runs <paramref name="body"/>(i) for i in [0, count) on up to <see cref="Threads"/> threads, inline on the
    /// calling thread when Threads is 1 — for the non-GEMM parallel loops of a forward pass (attention heads), so
    /// that one knob sets how many cores the whole pass uses.
    /// </summary>
    public static void ParallelFor(int count, Action<int> body)
    {
        if (s_threads == 1 || count <= 1)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = s_threads }, body);
    }

    /// <summary>Forces one micro-kernel (tests, benchmarks); <see cref="GemmPath.Auto"/> picks the widest supported.</summary>
    internal static GemmPath ForcedPath { get; set; } = GemmPath.Auto;

    /// <summary>The micro-kernel the next call will use ("Avx512", "Avx2Fma" or "Portable").</summary>
    public static string KernelName => GemmKernel.For(ForcedPath).Path.ToString();

    /// <summary>C[m,n] = A[m,k] · B[k,n] (+ C when <paramref name="accumulate"/>).</summary>
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, bool accumulate = false)
        => Run(a, b, c, m, k, n, bTransposed: false, accumulate, s_threads);

    /// <summary>C[m,n] = A[m,k] · B[k,n] (+ C when <paramref name="accumulate"/>) using at most <paramref name="threads"/> threads.</summary>
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, bool accumulate, int threads)
        => Run(a, b, c, m, k, n, bTransposed: false, accumulate, threads);

    /// <summary>C[m,n] = A[m,k] · Bᵀ where <paramref name="bT"/> is [n,k] row-major (e.g. Q·Kᵀ with K as [keys, d]).</summary>
    public static void MultiplyTransposedB(ReadOnlySpan<float> a, ReadOnlySpan<float> bT, Span<float> c, int m, int k, int n, bool accumulate = false)
        => Run(a, bT, c, m, k, n, bTransposed: true, accumulate, s_threads);

    /// <summary>As <see cref="MultiplyTransposedB(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, bool)"/> with at most <paramref name="threads"/> threads.</summary>
    public static void MultiplyTransposedB(ReadOnlySpan<float> a, ReadOnlySpan<float> bT, Span<float> c, int m, int k, int n, bool accumulate, int threads)
        => Run(a, bT, c, m, k, n, bTransposed: true, accumulate, threads);

    private static void Run(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, bool bTransposed, bool accumulate, int threads)
    {
        if (m < 0 || k < 0 || n < 0) throw new ArgumentException($"negative GEMM size m={m}, k={k}, n={n}");
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), threads, "GEMM needs at least 1 thread");
        if (a.Length < (long)m * k || b.Length < (long)k * n || c.Length < (long)m * n)
            throw new ArgumentException($"matrix spans (A {a.Length}, B {b.Length}, C {c.Length}) are smaller than m={m}, k={k}, n={n} say");
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            if (!accumulate) c[..(m * n)].Clear();
            return;
        }
        if ((long)m * n * k < ParallelThreshold) threads = 1;
        var kernel = GemmKernel.For(ForcedPath);
        fixed (float* pa = a, pb = b, pc = c)
            Blocked(kernel, pa, pb, pc, m, k, n, bTransposed, accumulate, threads);
    }

    private static void Blocked(GemmKernel kernel, float* a, float* b, float* c, int m, int k, int n, bool bTransposed, bool accumulate, int threads)
    {
        int mr = kernel.Mr, nr = kernel.Nr;
        // Even-sized blocks (k = 384 → 2 × 192, not 256 + 128) so no pass runs on a thin remainder.
        int kBlocks = CeilDiv(k, Kc), kcMax = CeilDiv(k, kBlocks);
        int mBlocks = CeilDiv(m, Mc), mcMax = RoundUp(CeilDiv(m, mBlocks), mr);
        mBlocks = CeilDiv(m, mcMax);
        var bBuffer = PackBuffer.ForB;
        var options = new ParallelOptions { MaxDegreeOfParallelism = threads };

        for (int jc = 0; jc < n; jc += Nc)
        {
            int nc = Math.Min(Nc, n - jc);
            int nPanels = CeilDiv(nc, nr);
            // Enough work items for dynamic load balance across threads; one chunk (no repacking of A) alone.
            int chunks = threads == 1 ? 1 : Math.Clamp(CeilDiv(8 * threads, mBlocks), 1, nPanels);
            int panelsPerChunk = CeilDiv(nPanels, chunks);
            chunks = CeilDiv(nPanels, panelsPerChunk);
            int items = mBlocks * chunks;

            for (int kb = 0; kb < kBlocks; kb++)
            {
                int p0 = kb * kcMax, kc = Math.Min(kcMax, k - p0);
                float* bp = bBuffer.Get((long)nPanels * nr * kc); // [nPanels, kc, nr]
                bool add = accumulate || kb > 0;

                if (threads == 1 || nPanels == 1)
                    PackBPanels(b, bTransposed, k, n, p0, kc, jc, nc, nr, 0, nPanels, bp);
                else
                {
                    nint bAddr = (nint)b, bpAddr = (nint)bp;
                    int perPart = CeilDiv(nPanels, threads);
                    Parallel.For(0, threads, options, t =>
                    {
                        int s0 = t * perPart, s1 = Math.Min(nPanels, s0 + perPart);
                        if (s0 < s1) PackBPanels((float*)bAddr, bTransposed, k, n, p0, kc, jc, nc, nr, s0, s1, (float*)bpAddr);
                    });
                }

                if (threads == 1 || items == 1)
                {
                    for (int item = 0; item < items; item++)
                        Item(kernel, a, k, c, n, m, mcMax, p0, kc, jc, nc, bp, nPanels, panelsPerChunk, chunks, item, add);
                }
                else
                {
                    nint aAddr = (nint)a, cAddr = (nint)c, bpAddr = (nint)bp;
                    int lda = k, ldc = n, mm = m, mcM = mcMax, jcc = jc, ncc = nc, np = nPanels, ppc = panelsPerChunk, ch = chunks;
                    var kern = kernel;
                    Parallel.For(0, items, options, item =>
                        Item(kern, (float*)aAddr, lda, (float*)cAddr, ldc, mm, mcM, p0, kc, jcc, ncc, (float*)bpAddr, np, ppc, ch, item, add));
                }
            }
        }
    }

    private static void PackBPanels(float* b, bool bTransposed, int k, int n, int p0, int kc, int jc, int nc, int nr, int s0, int s1, float* bp)
    {
        if (bTransposed) GemmPacking.PackBTransposed(b, k, p0, kc, jc, nc, nr, s0, s1, bp);
        else GemmPacking.PackB(b, n, p0, kc, jc, nc, nr, s0, s1, bp);
    }

    /// <summary>One work item: row block <c>item / chunks</c> of A times B panel chunk <c>item % chunks</c>.</summary>
    private static void Item(GemmKernel kernel, float* a, int lda, float* c, int ldc, int m, int mcMax, int p0, int kc,
                             int jc, int nc, float* bp, int nPanels, int panelsPerChunk, int chunks, int item, bool add)
    {
        int mr = kernel.Mr, nr = kernel.Nr;
        int ib = item / chunks, chunk = item % chunks;
        int i0 = ib * mcMax, mc = Math.Min(mcMax, m - i0);
        int s0 = chunk * panelsPerChunk, s1 = Math.Min(nPanels, s0 + panelsPerChunk);

        // A is read in place by the kernel (Mr rows at stride lda). Only a ragged last group of rows is copied,
        // zero-padded to Mr rows, so the kernel never reads past A.
        int fullRows = mc / mr * mr;
        float* aTail = null;
        if (fullRows < mc)
        {
            aTail = PackBuffer.ForA.Get((long)mr * kc); // [mr, kc]
            GemmPacking.CopyRowsPadded(a, lda, i0 + fullRows, mc - fullRows, p0, kc, mr, aTail);
        }

        float* tile = stackalloc float[mr * nr]; // ragged-edge tiles land here first
        for (int s = s0; s < s1; s++)
        {
            int j = jc + s * nr, cols = Math.Min(nr, nc - s * nr);
            float* bPanel = bp + (long)s * kc * nr;
            for (int r = 0; r < mc; r += mr)
            {
                int rows = Math.Min(mr, mc - r);
                float* aRows = rows == mr ? a + (long)(i0 + r) * lda + p0 : aTail;
                nint aStride = rows == mr ? lda : kc;
                float* cTile = c + (long)(i0 + r) * ldc + j;
                if (rows == mr && cols == nr)
                    kernel.Run(aRows, aStride, bPanel, kc, cTile, ldc, add);
                else
                {
                    kernel.Run(aRows, aStride, bPanel, kc, tile, nr, false);
                    for (int i = 0; i < rows; i++)
                    {
                        float* dst = cTile + (long)i * ldc, src = tile + i * nr;
                        if (add) for (int jj = 0; jj < cols; jj++) dst[jj] += src[jj];
                        else for (int jj = 0; jj < cols; jj++) dst[jj] = src[jj];
                    }
                }
            }
        }
    }

    private static int CeilDiv(int x, int y) => (x + y - 1) / y;
    private static int RoundUp(int x, int y) => CeilDiv(x, y) * y;
}
