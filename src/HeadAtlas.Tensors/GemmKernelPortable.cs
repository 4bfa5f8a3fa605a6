using System.Numerics;
using System.Runtime.CompilerServices;

namespace HeadAtlas.Tensors;

/// <summary>
/// Portable micro-kernel on <see cref="Vector{T}"/> (whatever width the CPU has): a 4×(2·width) tile in 8
/// accumulators, few enough for 16-register SIMD sets (SSE, NEON). Multiply and add are separate so that CPUs
/// without FMA do not fall back to a slow software fused multiply-add.
/// </summary>
internal static unsafe class GemmKernelPortable
{
    public const int Mr = 4;
    public static readonly int Nr = 2 * Vector<float>.Count;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(float* a, nint lda, float* b, int kc, float* c, nint ldc, bool add)
    {
        // a: 4 rows of A at stride lda (kc values each, read in place); b: [kc, Nr] packed B panel; c: 4 rows of Nr at stride ldc.
        int w = Vector<float>.Count, nr = 2 * w;
        Vector<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector<float> c20 = default, c21 = default, c30 = default, c31 = default;
        float* a0 = a, a1 = a + lda, a2 = a1 + lda, a3 = a2 + lda;
        for (nint p = 0; p < kc; p++)
        {
            var b0 = Unsafe.ReadUnaligned<Vector<float>>(b);
            var b1 = Unsafe.ReadUnaligned<Vector<float>>(b + w);
            var av = new Vector<float>(a0[p]);
            c00 += av * b0; c01 += av * b1;
            av = new Vector<float>(a1[p]);
            c10 += av * b0; c11 += av * b1;
            av = new Vector<float>(a2[p]);
            c20 += av * b0; c21 += av * b1;
            av = new Vector<float>(a3[p]);
            c30 += av * b0; c31 += av * b1;
            b += nr;
        }
        Store(c, w, c00, c01, add); c += ldc;
        Store(c, w, c10, c11, add); c += ldc;
        Store(c, w, c20, c21, add); c += ldc;
        Store(c, w, c30, c31, add);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, int w, Vector<float> v0, Vector<float> v1, bool add)
    {
        if (add)
        {
            v0 += Unsafe.ReadUnaligned<Vector<float>>(c);
            v1 += Unsafe.ReadUnaligned<Vector<float>>(c + w);
        }
        Unsafe.WriteUnaligned(c, v0);
        Unsafe.WriteUnaligned(c + w, v1);
    }
}
