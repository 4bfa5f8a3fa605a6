using System.Runtime.InteropServices;

namespace HeadAtlas.Tensors;

/// <summary>
/// Copies blocks of B into the panel layouts the micro-kernels stream through (and the ragged rows of A), zero-padding the ragged
/// edge so that every kernel call sees a full Mr×Nr tile.
/// </summary>
internal static unsafe class GemmPacking
{
    /// <summary>
    /// Rows [i0, i0+rows) × cols [p0, p0+kc) of row-major A [.., lda] into dst [mr, kc], rows past
    /// <paramref name="rows"/> zeroed: the ragged last row group, which the kernel cannot read in place.
    /// </summary>
    public static void CopyRowsPadded(float* a, int lda, int i0, int rows, int p0, int kc, int mr, float* dst)
    {
        for (int i = 0; i < rows; i++)
            new ReadOnlySpan<float>(a + (long)(i0 + i) * lda + p0, kc).CopyTo(new Span<float>(dst + (long)i * kc, kc));
        new Span<float>(dst + (long)rows * kc, (mr - rows) * kc).Clear();
    }

    /// <summary>
    /// B block rows [p0, p0+kc) × cols [j0 + s0·nr, …) of row-major B [.., ldb] (nc columns in all from j0),
    /// panels s in [s0, s1), each [kc, nr] (panel s, step p, column j at dst[(s·kc + p)·nr + j]).
    /// </summary>
    public static void PackB(float* b, int ldb, int p0, int kc, int j0, int nc, int nr, int s0, int s1, float* dst)
    {
        for (int s = s0; s < s1; s++)
        {
            int cols = Math.Min(nr, nc - s * nr);
            float* panel = dst + (long)s * kc * nr;
            for (int p = 0; p < kc; p++)
            {
                float* src = b + (long)(p0 + p) * ldb + j0 + s * nr;
                float* d = panel + (long)p * nr;
                new ReadOnlySpan<float>(src, cols).CopyTo(new Span<float>(d, cols));
                if (cols < nr) new Span<float>(d + cols, nr - cols).Clear();
            }
        }
    }

    /// <summary>
    /// Like <see cref="PackB"/> but reading Bᵀ: bT is row-major [n, ldb] (row j holds column j of B), so the
    /// element B[p, j] is bT[j·ldb + p].
    /// </summary>
    public static void PackBTransposed(float* bT, int ldb, int p0, int kc, int j0, int nc, int nr, int s0, int s1, float* dst)
    {
        for (int s = s0; s < s1; s++)
        {
            int cols = Math.Min(nr, nc - s * nr);
            float* panel = dst + (long)s * kc * nr;
            for (int j = 0; j < cols; j++)
            {
                float* src = bT + (long)(j0 + s * nr + j) * ldb + p0;
                float* d = panel + j;
                for (int p = 0; p < kc; p++) d[p * nr] = src[p];
            }
            for (int j = cols; j < nr; j++)
                for (int p = 0; p < kc; p++) panel[p * nr + j] = 0f;
        }
    }
}

/// <summary>A per-thread, 64-byte aligned scratch buffer that grows on demand and is reused across calls.</summary>
internal sealed unsafe class PackBuffer
{
    [ThreadStatic] private static PackBuffer? t_a;
    [ThreadStatic] private static PackBuffer? t_b;

    private float* _ptr;
    private long _capacity;

    /// <summary>This thread's buffer for the padded copy of A's ragged rows.</summary>
    public static PackBuffer ForA => t_a ??= new PackBuffer();

    /// <summary>This thread's buffer for packed B blocks (shared read-only with helper threads during a call).</summary>
    public static PackBuffer ForB => t_b ??= new PackBuffer();

    public float* Get(long floats)
    {
        if (floats > _capacity)
        {
            if (_ptr != null) NativeMemory.AlignedFree(_ptr);
            _ptr = null;
            _capacity = Math.Max(floats, _capacity * 2);
            _ptr = (float*)NativeMemory.AlignedAlloc((nuint)(_capacity * sizeof(float)), 64);
        }
        return _ptr;
    }

    ~PackBuffer()
    {
        if (_ptr != null) NativeMemory.AlignedFree(_ptr);
    }
}
