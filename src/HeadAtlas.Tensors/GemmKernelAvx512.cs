using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace HeadAtlas.Tensors;

/// <summary>
/// AVX-512F micro-kernel: a 6×32 tile of C in 12 zmm accumulators; the same schedule as
/// <see cref="GemmKernelAvx2"/> at twice the width (AVX-512 has 32 registers, so nothing spills).
/// </summary>
internal static unsafe class GemmKernelAvx512
{
    public const int Mr = 6;
    public const int Nr = 32;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(float* a, nint lda, float* b, int kc, float* c, nint ldc, bool add)
    {
        // a: 6 rows of A at stride lda (kc values each, read in place); b: [kc, 32] packed B panel; c: 6 rows of 32 at stride ldc.
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        // Touch C's tile now: its lines arrive during the k loop instead of stalling the stores at the end.
        for (int i = 0; i < Mr; i++) { Sse.Prefetch0(c + i * ldc); Sse.Prefetch0(c + i * ldc + Nr - 1); }
        float* a0 = a, a1 = a + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda;
        for (nint p = 0; p < kc; p++)
        {
            var b0 = Avx512F.LoadVector512(b);
            var b1 = Avx512F.LoadVector512(b + 16);
            var av = Vector512.Create(a0[p]);
            c00 = Avx512F.FusedMultiplyAdd(av, b0, c00); c01 = Avx512F.FusedMultiplyAdd(av, b1, c01);
            av = Vector512.Create(a1[p]);
            c10 = Avx512F.FusedMultiplyAdd(av, b0, c10); c11 = Avx512F.FusedMultiplyAdd(av, b1, c11);
            av = Vector512.Create(a2[p]);
            c20 = Avx512F.FusedMultiplyAdd(av, b0, c20); c21 = Avx512F.FusedMultiplyAdd(av, b1, c21);
            av = Vector512.Create(a3[p]);
            c30 = Avx512F.FusedMultiplyAdd(av, b0, c30); c31 = Avx512F.FusedMultiplyAdd(av, b1, c31);
            av = Vector512.Create(a4[p]);
            c40 = Avx512F.FusedMultiplyAdd(av, b0, c40); c41 = Avx512F.FusedMultiplyAdd(av, b1, c41);
            av = Vector512.Create(a5[p]);
            c50 = Avx512F.FusedMultiplyAdd(av, b0, c50); c51 = Avx512F.FusedMultiplyAdd(av, b1, c51);
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
    private static void Store(float* c, Vector512<float> v0, Vector512<float> v1, bool add)
    {
        if (add)
        {
            v0 = Avx512F.Add(v0, Avx512F.LoadVector512(c));
            v1 = Avx512F.Add(v1, Avx512F.LoadVector512(c + 16));
        }
        Avx512F.Store(c, v0);
        Avx512F.Store(c + 16, v1);
    }
}
