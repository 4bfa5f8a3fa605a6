using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace HeadAtlas.Tensors;

public static partial class Ops
{
    /// <summary>GELU, exact erf form (BERT, ViT): x·½(1 + erf(x/√2)), to ~1e-7 relative (see <see cref="GeluErfKernel"/>).</summary>
    public static void GeluErf(Span<float> x) => GeluErfKernel.Apply(x);

    /// <summary>GELU, tanh form (GPT-2's "gelu_new"): ½x(1 + tanh(√(2/π)(x + 0.044715x³))) = x·σ(2·√(2/π)(x + 0.044715x³)).</summary>
    public static void GeluTanh(Span<float> x) => MapVector256<GeluTanhMap>(x);

    /// <summary>SiLU / swish (LLaMA MLP): x·σ(x).</summary>
    public static void Silu(Span<float> x) => MapVector256<SiluMap>(x);

    /// <summary>An element-wise function on 8 lanes; a struct type argument lets the JIT inline it into the loop.</summary>
    internal interface IVectorMap
    {
        static abstract Vector256<float> Map(Vector256<float> v);
    }

    private readonly struct GeluTanhMap : IVectorMap
    {
        public static Vector256<float> Map(Vector256<float> v)
        {
            const float c = 1.5957691216057308f; // 2·√(2/π)
            var inner = v * (Vector256<float>.One + Vector256.Create(0.044715f) * v * v) * Vector256.Create(c);
            return v / (Vector256<float>.One + FastMath.Exp(-inner));
        }
    }

    private readonly struct SiluMap : IVectorMap
    {
        public static Vector256<float> Map(Vector256<float> v) => v / (Vector256<float>.One + FastMath.Exp(-v));
    }

    /// <summary>Applies <typeparamref name="TMap"/> to x in 8-lane vectors; the ragged tail goes through a zero-padded copy.</summary>
    internal static void MapVector256<TMap>(Span<float> x) where TMap : IVectorMap
    {
        int i = 0, n = x.Length;
        ref float start = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(x);
        // Two independent vectors per step: their long dependency chains (polynomials) overlap in the pipeline.
        for (; i + 16 <= n; i += 16)
        {
            ref float at = ref Unsafe.Add(ref start, i);
            var v0 = TMap.Map(Vector256.LoadUnsafe(ref at));
            var v1 = TMap.Map(Vector256.LoadUnsafe(ref at, 8));
            v0.StoreUnsafe(ref at);
            v1.StoreUnsafe(ref at, 8);
        }
        for (; i + 8 <= n; i += 8)
        {
            ref float at = ref Unsafe.Add(ref start, i);
            TMap.Map(Vector256.LoadUnsafe(ref at)).StoreUnsafe(ref at);
        }
        if (i < n)
        {
            Span<float> tail = stackalloc float[8];
            x[i..].CopyTo(tail);
            TMap.Map(Vector256.Create<float>(tail)).CopyTo(tail);
            tail[..(n - i)].CopyTo(x[i..]);
        }
    }
}

/// <summary>
/// Fast float GELU with the exact erf. With u = |x|/√2 and w = 1/(1 + u/2), erfc(u) = w·e^(−u²)·P(w) where P is
/// smooth on all of u ∈ [0, 9] (the idea behind Abramowitz–Stegun 7.1.26, with more terms). P is a Chebyshev
/// interpolant fitted at startup from the double-precision <see cref="ErfMath.Erfc"/>; then
/// 1 + erf(x/√2) = x ≥ 0 ? 2 − erfc(u) : erfc(u), which keeps the relative accuracy of the negative tail.
/// </summary>
internal static class GeluErfKernel
{
    private const int Degree = 8; // 6 already meets the tests' 2e-6; 8 leaves a margin
    private const double P = 0.5;
    private const float UMax = 9f; // erfc(9) ≈ 4e-37: beyond it GELU is 0 (x < 0) or x (x > 0) in float
    private static readonly float[] s_cheb = new float[Degree + 1];
    private static readonly float s_scale, s_shift; // s = w·scale + shift maps [wLo, 1] onto [−1, 1]

    static GeluErfKernel()
    {
        double wLo = 1 / (1 + P * UMax), wHi = 1;
        s_scale = (float)(2 / (wHi - wLo));
        s_shift = (float)(-(wHi + wLo) / (wHi - wLo));
        int nodes = Degree + 1;
        var f = new double[nodes];
        var s = new double[nodes];
        for (int k = 0; k < nodes; k++)
        {
            s[k] = Math.Cos(Math.PI * (k + 0.5) / nodes);
            double w = (s[k] + 1) / 2 * (wHi - wLo) + wLo;
            double u = (1 / w - 1) / P;
            f[k] = ErfMath.Erfc(u) * Math.Exp(u * u) / w;
        }
        for (int j = 0; j <= Degree; j++)
        {
            double sum = 0;
            for (int k = 0; k < nodes; k++) sum += f[k] * Math.Cos(j * Math.Acos(s[k]));
            s_cheb[j] = (float)(sum * 2 / nodes * (j == 0 ? 0.5 : 1));
        }
    }

    public static void Apply(Span<float> x) => Ops.MapVector256<Map>(x);

    private readonly struct Map : Ops.IVectorMap
    {
        static Vector256<float> Ops.IVectorMap.Map(Vector256<float> v) => Gelu(v);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Gelu(Vector256<float> x)
    {
        var one = Vector256<float>.One;
        var z = x * Vector256.Create(0.70710678118654752f);
        var u = Vector256.Min(Vector256.Abs(z), Vector256.Create(UMax));
        var w = one / Vector256.FusedMultiplyAdd(u, Vector256.Create((float)P), one);
        var s = Vector256.FusedMultiplyAdd(w, Vector256.Create(s_scale), Vector256.Create(s_shift));
        // Clenshaw: b_k = c_k + 2s·b_{k+1} − b_{k+2}; P = c_0 + s·b_1 − b_2.
        var s2 = s + s;
        Vector256<float> b1 = Vector256<float>.Zero, b2 = Vector256<float>.Zero;
        for (int k = Degree; k >= 1; k--)
        {
            var b0 = Vector256.FusedMultiplyAdd(s2, b1, Vector256.Create(s_cheb[k]) - b2);
            b2 = b1; b1 = b0;
        }
        var poly = Vector256.FusedMultiplyAdd(s, b1, Vector256.Create(s_cheb[0]) - b2);
        // e^(−u²) with u² split into hi + lo (lo = rounding error of hi) so large u keep their precision.
        var hi = u * u;
        var lo = Vector256.FusedMultiplyAdd(u, u, -hi);
        var expU2 = FastMath.Exp(-hi) * (one - lo);
        var erfc = w * expU2 * poly;
        var h = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(z, Vector256<float>.Zero), Vector256.Create(2f) - erfc, erfc);
        return Vector256.Create(0.5f) * x * h;
    }
}
