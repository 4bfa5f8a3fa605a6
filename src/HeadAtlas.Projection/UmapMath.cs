using System.Runtime.CompilerServices;

namespace HeadAtlas.Projection;

/// <summary>
/// Cheap float arithmetic for UMAP's SGD inner loop, where x^b (b ≈ 0.8–1.9 from the curve fit) is evaluated for every
/// attraction and every negative sample: as 2^(b·log₂x) with short series, about 1e-6 relative error (far below the
/// noise of stochastic gradient steps) at a fraction of MathF.Pow's cost. Deterministic: plain float operations.
/// </summary>
internal static class UmapMath
{
    private const float Ln2 = 0.6931471805599453f, InvLn2 = 1.4426950408889634f, Sqrt2 = 1.4142135623730951f;

    /// <summary>x^b for x &gt; 0 (finite, normal); 0 for x ≤ 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Pow(float x, float b) => x > 0 ? Exp2(b * Log2(x)) : 0;

    /// <summary>log₂x for normal x &gt; 0: x = 2^e·m with m in [√½, √2), ln m = 2·atanh(t), t = (m − 1)/(m + 1), |t| ≤ 0.172,
    /// by its series to t⁹ (next term below 1e-8).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Log2(float x)
    {
        int bits = BitConverter.SingleToInt32Bits(x);
        int e = ((bits >> 23) & 0xFF) - 127;
        float m = BitConverter.Int32BitsToSingle((bits & 0x007FFFFF) | 0x3F800000); // [1, 2)
        if (m > Sqrt2) { m *= 0.5f; e++; }
        float t = (m - 1) / (m + 1), t2 = t * t;
        float series = t * (2 + t2 * (2f / 3 + t2 * (2f / 5 + t2 * (2f / 7 + t2 * (2f / 9)))));
        return e + series * InvLn2;
    }

    /// <summary>2^y: 2^i · √2 · e^g with i = ⌊y⌋, g = (y − i − ½)·ln 2 in [−0.347, 0.347) by its Taylor series to g⁷
    /// (next term below 1e-8); 0 below 2^−126, +∞ above 2^127.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Exp2(float y)
    {
        if (y < -126) return 0;
        if (y >= 128) return float.PositiveInfinity;
        float fi = MathF.Floor(y);
        float g = (y - fi - 0.5f) * Ln2;
        float eg = 1 + g * (1 + g * (1f / 2 + g * (1f / 6 + g * (1f / 24 + g * (1f / 120 + g * (1f / 720 + g * (1f / 5040)))))));
        int i = (int)fi;
        // 2^i as two factors so i = 127 (whose 2^i·√2 still fits) and i = −126 stay representable.
        float scale = BitConverter.Int32BitsToSingle((i / 2 + 127) << 23) * BitConverter.Int32BitsToSingle((i - i / 2 + 127) << 23);
        return scale * (Sqrt2 * eg);
    }

    /// <summary>A uniform integer in [0, count) from 64 random bits (Lemire's multiply-shift, no division).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Below(ulong random, int count) => (int)(((random >> 32) * (ulong)(uint)count) >> 32);
}
