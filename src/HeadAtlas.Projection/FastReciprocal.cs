using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace HeadAtlas.Projection;

/// <summary>1/a for the repulsion kernels' 1/(1 + r²) (a ≥ 1).</summary>
internal static class FastReciprocal
{
    /// <summary>The 12-bit hardware estimate refined by one Newton step (relative error ~1e-7), several times cheaper
    /// than a division, which is what bounds the repulsion loops; a plain division where AVX is missing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Of(Vector256<float> a)
    {
        if (!Avx.IsSupported) return Vector256.Create(1f) / a;
        var r = Avx.Reciprocal(a);
        return r * (Vector256.Create(2f) - a * r);
    }
}
