namespace HeadAtlas.Tensors;

/// <summary>
/// General matrix multiply on row-major float32 matrices.
/// PLACEHOLDER: a plain loop that the packed, SIMD, multi-threaded kernel replaces (same signature).
/// </summary>
public static class Gemm
{
    /// <summary>C[m,n] = A[m,k] · B[k,n] (+ C when <paramref name="accumulate"/>).</summary>
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, bool accumulate = false)
    {
        if (a.Length < m * k || b.Length < k * n || c.Length < m * n) throw new ArgumentException("matrix spans are smaller than m, k, n say");
        if (!accumulate) c[..(m * n)].Clear();
        for (int i = 0; i < m; i++)
            for (int p = 0; p < k; p++)
            {
                float aip = a[i * k + p];
                for (int j = 0; j < n; j++) c[i * n + j] += aip * b[p * n + j];
            }
    }
}
