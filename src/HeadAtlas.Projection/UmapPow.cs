using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace HeadAtlas.Projection;

/// <summary>
/// x^b for UMAP's curve 1 / (1 + a·d^(2b)), eight at a time, as 2^(b·log₂x): about 1e-6 relative error for x in
/// [1e-12, 1e12] and |b| ≤ 2 (MathF.Pow is an out-of-line call that cannot be vectorized, and was most of the SGD's time).
/// </summary>
internal static class UmapPow
{
    // Smallest x taken: below it (and for 0 or denormals, whose exponent bits do not hold log₂x) x is raised to 1e-30.
    private const float MinX = 1e-30f;
    private const int SqrtHalfBits = 0x3F3504F3; // bits of √½ as a float
    private const float TwoOverLn2 = 2.8853900817779268f; // 2 / ln 2
    private const float Ln2 = 0.69314718055994531f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Pow(Vector256<float> x, Vector256<float> b) => Exp2(b * Log2(x));

    /// <summary>
    /// log₂x = e + log₂m with x = m·2ᵉ, m ∈ [√½, √2); log₂m = (2/ln2)·atanh(t), t = (m−1)/(m+1) ∈ [−0.172, 0.172],
    /// by its series t + t³/3 + … + t⁹/9 (the next term is below 3e-10 of the sum).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Log2(Vector256<float> x)
    {
        var bits = Vector256.MaxNative(x, Vector256.Create(MinX)).AsInt32();
        var e = Vector256.ShiftRightArithmetic(bits - Vector256.Create(SqrtHalfBits), 23);
        var m = (bits - Vector256.ShiftLeft(e, 23)).AsSingle();
        var t = (m - Vector256<float>.One) / (m + Vector256<float>.One);
        var t2 = t * t;
        var p = Vector256.FusedMultiplyAdd(Vector256.Create(1f / 9), t2, Vector256.Create(1f / 7));
        p = Vector256.FusedMultiplyAdd(p, t2, Vector256.Create(1f / 5));
        p = Vector256.FusedMultiplyAdd(p, t2, Vector256.Create(1f / 3));
        p = Vector256.FusedMultiplyAdd(p, t2, Vector256<float>.One);
        return Vector256.FusedMultiplyAdd(t * Vector256.Create(TwoOverLn2), p, Vector256.ConvertToSingle(e));
    }

    /// <summary>
    /// 2^y for y clamped to [−126, 126]: y = n + f with n an integer and |f| ≤ ½; 2^f = e^g, g = f·ln2, by its Taylor
    /// polynomial to g⁶ (truncation below 2e-10); 2ⁿ built in the exponent bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp2(Vector256<float> y)
    {
        y = Vector256.MinNative(Vector256.MaxNative(y, Vector256.Create(-126f)), Vector256.Create(126f));
        var n = Vector256.Round(y);
        var g = (y - n) * Vector256.Create(Ln2);
        var p = Vector256.FusedMultiplyAdd(Vector256.Create(1f / 720), g, Vector256.Create(1f / 120));
        p = Vector256.FusedMultiplyAdd(p, g, Vector256.Create(1f / 24));
        p = Vector256.FusedMultiplyAdd(p, g, Vector256.Create(1f / 6));
        p = Vector256.FusedMultiplyAdd(p, g, Vector256.Create(0.5f));
        p = Vector256.FusedMultiplyAdd(p, g, Vector256<float>.One);
        p = Vector256.FusedMultiplyAdd(p, g, Vector256<float>.One);
        var scale = Vector256.ShiftLeft(Vector256.ConvertToInt32Native(n) + Vector256.Create(127), 23).AsSingle();
        return p * scale;
    }

}
