using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace HeadAtlas.Tensors;

/// <summary>Inlinable vector math for the activations (Vector256.Exp is accurate but an out-of-line call that spills).</summary>
internal static class FastMath
{
    /// <summary>
    /// e^y to ~2 ulp for y in [−87, 88] (clamped above; exactly 0 below −87, so a −∞ mask gives weight 0):
    /// y = n·ln2 + r with |r| ≤ ln2/2, e^r by its Taylor polynomial to r⁷ (truncation < 5e-9 relative), times 2ⁿ
    /// built in the exponent bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> y)
    {
        var underflow = Vector256.LessThan(y, Vector256.Create(-87f)); // e^y < 1.7e-38: flush to 0 (and −∞, NaN-free)
        y = Vector256.Min(Vector256.Max(y, Vector256.Create(-87f)), Vector256.Create(88f));
        var n = Vector256.Round(y * Vector256.Create(1.44269504088896341f)); // y / ln2, to nearest
        // r = y − n·ln2 in two steps (ln2 split into a part exact in float and the rest) to keep r's precision.
        var r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-0.693145751953125f), y);
        r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-1.428606765330187045e-06f), r);
        var p = Vector256.Create(1f / 5040);
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1f / 720));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1f / 120));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1f / 24));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1f / 6));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(0.5f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256<float>.One);
        p = Vector256.FusedMultiplyAdd(p, r, Vector256<float>.One);
        // 2ⁿ: n + 127 in the exponent field (n ∈ [−126, 127] after the clamp).
        var scale = (Vector256.ConvertToInt32(n) + Vector256.Create(127)) << 23;
        return Vector256.ConditionalSelect(underflow, Vector256<float>.Zero, p * scale.AsSingle());
    }
}
