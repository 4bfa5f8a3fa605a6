using System.Runtime.Intrinsics;

namespace HeadAtlas.Projection;

/// <summary>
/// Exact repulsive t-SNE forces, O(n²), eight pairs per SIMD step in float (sums per point are returned as double).
/// For small n (a few thousand points) this is cheaper than an FFT grid sized by the embedding's extent, and it has
/// no approximation error beyond float rounding. 2D and 3D. Each point's sums run over j in order on one thread:
/// deterministic.
/// </summary>
internal sealed class ExactRepulsion(ParallelOptions parallel, int dims)
{
    private float[] xs = [], ys = [], zs = []; // [padded] structure of arrays

    /// <summary>y: [n, dims]. Writes rep[n, dims] = Σⱼ q²ᵢⱼ(yᵢ − yⱼ) and returns Z = Σ_{i≠j} qᵢⱼ.</summary>
    public double Compute(double[] y, int n, double[] rep)
    {
        int lanes = Vector256<float>.Count, padded = (n + lanes - 1) / lanes * lanes;
        if (xs.Length != padded) { xs = new float[padded]; ys = new float[padded]; zs = new float[padded]; }
        // Padding points sit far away (q² underflows to 0, q ≈ 1e-36) and are never a target; 1e18 keeps r² finite.
        for (int i = 0; i < padded; i++)
        {
            bool real = i < n;
            xs[i] = real ? (float)y[dims * i] : 1e18f;
            ys[i] = real ? (float)y[dims * i + 1] : 1e18f;
            zs[i] = real && dims == 3 ? (float)y[dims * i + 2] : 0;
        }
        var zPart = new double[n];
        float[] px = xs, py = ys, pz = zs;
        Parallel.For(0, (n + 63) / 64, parallel, chunk =>
        {
            int end = Math.Min(n, (chunk + 1) * 64);
            var one = Vector256.Create(1f);
            for (int i = chunk * 64; i < end; i++)
            {
                var xi = Vector256.Create(px[i]); var yi = Vector256.Create(py[i]); var zi = Vector256.Create(pz[i]);
                Vector256<float> fx = default, fy = default, fz = default, zsum = default;
                if (dims == 2)
                    for (int j = 0; j < padded; j += 8)
                    {
                        var dx = xi - Vector256.LoadUnsafe(ref px[j]);
                        var dy = yi - Vector256.LoadUnsafe(ref py[j]);
                        var q = FastReciprocal.Of(one + dx * dx + dy * dy);
                        zsum += q;
                        var q2 = q * q;
                        fx += q2 * dx; fy += q2 * dy;
                    }
                else
                    for (int j = 0; j < padded; j += 8)
                    {
                        var dx = xi - Vector256.LoadUnsafe(ref px[j]);
                        var dy = yi - Vector256.LoadUnsafe(ref py[j]);
                        var dz = zi - Vector256.LoadUnsafe(ref pz[j]);
                        var q = FastReciprocal.Of(one + dx * dx + dy * dy + dz * dz);
                        zsum += q;
                        var q2 = q * q;
                        fx += q2 * dx; fy += q2 * dy; fz += q2 * dz;
                    }
                rep[dims * i] = Vector256.Sum(fx);
                rep[dims * i + 1] = Vector256.Sum(fy);
                if (dims == 3) rep[dims * i + 2] = Vector256.Sum(fz);
                zPart[i] = (double)Vector256.Sum(zsum) - 1; // −1: the point itself (q = 1, force 0)
            }
        });
        double z = 0;
        for (int i = 0; i < n; i++) z += zPart[i];
        return z;
    }
}
