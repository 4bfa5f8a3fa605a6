using System.Numerics;

namespace HeadAtlas.Models.Architectures;

/// <summary>
/// Exact-form GELU, 0.5·x·(1 + erf(x/√2)), with erf from Abramowitz–Stegun 7.1.26 (|error| ≤ 1.5e-7), in SIMD
/// vectors and split across cores. Ops.GeluErf evaluates erf as a double-precision series per element, which took
/// ~40% of a MiniLM forward pass; inside GELU the erf error is scaled by 0.5·|x|, far below float32 GEMM noise.
/// </summary>
/// <remarks>Belongs in HeadAtlas.Tensors.Ops; kept here until that owner takes it.</remarks>
internal static class FastGelu
{
    private const float P = 0.3275911f, A1 = 0.254829592f, A2 = -0.284496736f, A3 = 1.421413741f, A4 = -1.453152027f, A5 = 1.061405429f;
    private const float InvSqrt2 = 0.70710678f;
    private const int ParallelChunk = 1 << 16;

    public static void InPlace(float[] x)
    {
        int chunks = (x.Length + ParallelChunk - 1) / ParallelChunk;
        if (chunks <= 1) { InPlace(x.AsSpan()); return; }
        Parallel.For(0, chunks, c =>
        {
            int start = c * ParallelChunk;
            InPlace(x.AsSpan(start, Math.Min(ParallelChunk, x.Length - start)));
        });
    }

    public static void InPlace(Span<float> x)
    {
        int i = 0, w = Vector<float>.Count;
        for (; i + w <= x.Length; i += w)
        {
            var v = new Vector<float>(x[i..]);
            var u = Vector.Abs(v) * InvSqrt2;
            var t = Vector<float>.One / (Vector<float>.One + u * P);
            var poly = t * (new Vector<float>(A1) + t * (new Vector<float>(A2) + t * (new Vector<float>(A3) + t * (new Vector<float>(A4) + t * A5))));
            var tail = poly * Vector.Exp(-(u * u)); // 1 − erf(u), u ≥ 0
            // 1 + erf(x/√2) is 2 − tail for x ≥ 0 and tail for x < 0 (erf is odd).
            var onePlusErf = Vector.ConditionalSelect(Vector.GreaterThanOrEqual(v, Vector<float>.Zero), new Vector<float>(2f) - tail, tail);
            (v * 0.5f * onePlusErf).CopyTo(x[i..]);
        }
        for (; i < x.Length; i++)
        {
            float xi = x[i], u = MathF.Abs(xi) * InvSqrt2, t = 1f / (1f + P * u);
            float tail = t * (A1 + t * (A2 + t * (A3 + t * (A4 + t * A5)))) * MathF.Exp(-u * u);
            x[i] = 0.5f * xi * (xi >= 0 ? 2f - tail : tail);
        }
    }
}
