using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace HeadAtlas.Projection;

/// <summary>
/// exp(x) of four doubles x ≤ 0 at once, inlined into the caller (t-SNE's perplexity calibration evaluates
/// exp(−β·d) for every neighbour at every Newton step). Within ~2 ulp of Math.Exp: x = n·ln2 + r with |r| ≤ ln2/2
/// (Cody–Waite split of ln2, so r is exact), e^r by its Taylor polynomial of degree 13 (truncation below 2e-16), times
/// 2ⁿ built in the exponent bits (for a subnormal result, as 2ⁿ⁺⁶⁰⁰·2⁻⁶⁰⁰). Below −746 the result is 0, as Math.Exp's.
/// No calls: a call inside the caller's loop would make the JIT spill every vector live across it.
/// </summary>
internal static class NonPositiveExp
{
    private const double Log2E = 1.4426950408889634;
    private const double Ln2Hi = 6.93147180369123816490e-01; // ln 2 with trailing zero bits: n·Ln2Hi is exact for |n| < 2¹¹
    private const double Ln2Lo = 1.90821492927058770002e-10; // ln 2 − Ln2Hi
    private const double RoundingShift = 6755399441055744.0;  // 1.5·2⁵²: adding it rounds to an integer held in the low bits
    private const double TwoToMinus600 = 2.409919865102884e-181; // exactly 2⁻⁶⁰⁰ (shortest round-trip decimal)

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Exp(Vector256<double> x)
    {
        var underflow = Vector256.LessThan(x, Vector256.Create(-746.0));
        x = Vector256.AndNot(x, underflow); // those lanes compute exp(0) and are zeroed at the end
        // n = round(x / ln 2) both as a double and (in t's low bits) as an integer.
        var t = Vector256.FusedMultiplyAdd(x, Vector256.Create(Log2E), Vector256.Create(RoundingShift));
        var n = t - Vector256.Create(RoundingShift);
        var r = Vector256.FusedMultiplyAdd(-n, Vector256.Create(Ln2Hi), x);
        r = Vector256.FusedMultiplyAdd(-n, Vector256.Create(Ln2Lo), r);
        // e^r = Σ rⁱ/i!, i = 0..13, by Horner.
        var p = Vector256.Create(1.0 / 6227020800);
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.0 / 479001600));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.0 / 39916800));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.0 / 3628800));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.0 / 362880));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.0 / 40320));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.0 / 5040));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.0 / 720));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.0 / 120));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.0 / 24));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.0 / 6));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(0.5));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.0));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.0));
        // 2ⁿ: the integer n sits in t's bit pattern as bits(t) − bits(1.5·2⁵²); shift n + 1023 into the exponent field.
        // Below 2⁻¹⁰²² that field cannot hold it: scale by 2ⁿ⁺⁶⁰⁰, then by 2⁻⁶⁰⁰ (one rounding, into the subnormal).
        var subnormal = Vector256.LessThan(n, Vector256.Create(-1022.0));
        var integer = t.AsInt64() - Vector256.Create(RoundingShift).AsInt64() + (subnormal.AsInt64() & Vector256.Create(600L));
        var scale = Vector256.ShiftLeft(integer + Vector256.Create(1023L), 52).AsDouble();
        var result = p * scale * Vector256.ConditionalSelect(subnormal, Vector256.Create(TwoToMinus600), Vector256.Create(1.0));
        return Vector256.AndNot(result, underflow);
    }
}
