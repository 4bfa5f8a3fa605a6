using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace HeadAtlas.Tensors;

/// <summary>
/// AVX2 + FMA micro-kernel: a 6×16 tile of C held in 12 ymm accumulators. Per step of k it loads two 8-wide
/// vectors of the B panel, broadcasts six A values and issues 12 FMAs (16 ymm registers: 12 + 2 + 1 spare).
/// </summary>
internal static unsafe class GemmKernelAvx2
{
    public const int Mr = 6;
    public const int Nr = 16;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(float* a, nint lda, float* b, int kc, float* c, nint ldc, bool add)
    {
        // a: 6 rows of A at stride lda (kc values each, read in place); b: [kc, 16] packed B panel; c: 6 rows of 16 at stride ldc.
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        // Touch C's tile now: its lines arrive during the k loop instead of stalling the stores at the end.
        for (int i = 0; i < Mr; i++) { Sse.Prefetch0(c + i * ldc); Sse.Prefetch0(c + i * ldc + Nr - 1); }
        float* a0 = a, a1 = a + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda;
        for (nint p = 0; p < kc; p++)
        {
            var b0 = Avx.LoadVector256(b);
            var b1 = Avx.LoadVector256(b + 8);
            var av = Avx.BroadcastScalarToVector256(a0 + p);
            c00 = Fma.MultiplyAdd(av, b0, c00); c01 = Fma.MultiplyAdd(av, b1, c01);
            av = Avx.BroadcastScalarToVector256(a1 + p);
            c10 = Fma.MultiplyAdd(av, b0, c10); c11 = Fma.MultiplyAdd(av, b1, c11);
            av = Avx.BroadcastScalarToVector256(a2 + p);
            c20 = Fma.MultiplyAdd(av, b0, c20); c21 = Fma.MultiplyAdd(av, b1, c21);
            av = Avx.BroadcastScalarToVector256(a3 + p);
            c30 = Fma.MultiplyAdd(av, b0, c30); c31 = Fma.MultiplyAdd(av, b1, c31);
            av = Avx.BroadcastScalarToVector256(a4 + p);
            c40 = Fma.MultiplyAdd(av, b0, c40); c41 = Fma.MultiplyAdd(av, b1, c41);
            av = Avx.BroadcastScalarToVector256(a5 + p);
            c50 = Fma.MultiplyAdd(av, b0, c50); c51 = Fma.MultiplyAdd(av, b1, c51);
            b += Nr;
        }
        Store(c, c00, c01, add); c += ldc;
        Store(c, c10, c11, add); c += ldc;
        Store(c, c20, c21, add); c += ldc;
        Store(c, c30, c31, add); c += ldc;
        Store(c, c40, c41, add); c += ldc;
        Store(c, c50, c51, add);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, Vector256<float> v0, Vector256<float> v1, bool add)
    {
        if (add)
        {
            v0 = Avx.Add(v0, Avx.LoadVector256(c));
            v1 = Avx.Add(v1, Avx.LoadVector256(c + 8));
        }
        Avx.Store(c, v0);
        Avx.Store(c + 8, v1);
    }
}
