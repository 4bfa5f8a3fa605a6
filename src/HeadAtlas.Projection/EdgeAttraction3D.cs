using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace HeadAtlas.Projection;

/// <summary>
/// 3D t-SNE attraction over a symmetric P, each undirected edge once (the 3D twin of <see cref="EdgeAttraction2D"/>):
/// f = pᵢⱼ qᵢⱼ (yᵢ − yⱼ) is added to point i and subtracted from point j. Positions and force sums are stored as four
/// floats (x, y, z, 0) per point, so one 128-bit load or store serves a neighbour (no AVX2 gathers, which are slow on
/// this AMD EPYC); eight neighbours are transposed into x, y, z vectors for the arithmetic and back for their sums. The rows are cut into a fixed number of blocks of about
/// equal edge counts whatever the thread count; each block adds its edges in a fixed order into its own buffer and the
/// buffers are summed in block order, so the result is bit for bit the same with any number of threads.
/// </summary>
internal sealed class EdgeAttraction3D
{
    /// <summary>Row blocks (<see cref="UpperEdges.Blocks"/>); each costs one buffer to clear and sum.</summary>
    public const int Blocks = UpperEdges.Blocks;

    private readonly int n;
    private readonly int[] rowStart;     // [n + 1] into columns/values
    private readonly int[] columns;      // [m] j > i of each edge (i, j); each row padded to a multiple of 8 with (i, 0)
    private readonly float[] values;     // [m] pᵢⱼ
    private readonly int[] blockRow;     // [Blocks + 1] first row of each block
    private readonly int[] low, high;    // [Blocks] points [low, high) that a block's edges touch
    private readonly int[] offset;       // [Blocks] start of each block's force sums in sums
    private readonly float[] sums;       // block b: [high − low, 4] force sums (x, y, z, 0) from offset[b]

    private EdgeAttraction3D(UpperEdges edges)
    {
        n = edges.N; rowStart = edges.RowStart; columns = edges.Columns; values = edges.Values;
        blockRow = edges.BlockRow; low = edges.Low; high = edges.High;
        offset = new int[Blocks];
        int total = 0;
        for (int b = 0; b < Blocks; b++) { offset[b] = total; total += 4 * (high[b] - low[b]); }
        sums = new float[total];
    }

    /// <summary>The edge-once form of <paramref name="p"/>, or null if P is not symmetric (<see cref="UpperEdges"/>).</summary>
    public static EdgeAttraction3D? TryCreate(SparseAffinities p) =>
        UpperEdges.TryCreate(p, rowMultiple: 8) is { } edges ? new EdgeAttraction3D(edges) : null;

    /// <summary>y4: [n, 4] positions as float (x, y, z, 0); writes attr [n, 3].</summary>
    public void Compute(float[] y4, double[] attr, ParallelOptions parallel)
    {
        Parallel.For(0, Blocks, parallel, b => Block(b, y4));
        const int chunk = 4096; // points
        Parallel.For(0, (n + chunk - 1) / chunk, parallel, c => Combine(c * chunk, Math.Min(n, (c + 1) * chunk), attr));
    }

    /// <summary>attr[start..end) = Σ_b sums of block b over points [start, end), in block order, in double.</summary>
    private unsafe void Combine(int start, int end, double[] attr)
    {
        fixed (double* pa = attr)
        fixed (float* ps = sums)
        {
            var from = stackalloc float*[Blocks]; // block b's sum of point i at from[b] + 4i
            for (int b = 0; b < Blocks; b++) from[b] = ps + offset[b] - 4 * low[b];
            for (int i = start; i < end; i++)
            {
                double x = 0, y = 0, z = 0;
                if (Avx.IsSupported)
                {
                    var s = Vector256<double>.Zero;
                    for (int b = 0; b < Blocks; b++)
                        if (i >= low[b] && i < high[b]) s += Avx.ConvertToVector256Double(Sse.LoadVector128(from[b] + 4 * i));
                    x = s.GetElement(0); y = s.GetElement(1); z = s.GetElement(2);
                }
                else
                    for (int b = 0; b < Blocks; b++)
                        if (i >= low[b] && i < high[b]) { float* src = from[b] + 4 * i; x += src[0]; y += src[1]; z += src[2]; }
                pa[3 * i] = x; pa[3 * i + 1] = y; pa[3 * i + 2] = z;
            }
        }
    }

    /// <summary>The edges of block b's rows into sums[b].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe void Block(int b, float[] y4)
    {
        Array.Clear(sums, offset[b], 4 * (high[b] - low[b]));
        fixed (float* py = y4, pv = values, ps = sums)
        fixed (int* pc = columns)
        {
            float* acc = ps + offset[b] - 4 * low[b]; // acc[4j ..]: the (x, y, z, 0) force sum of point j, j in [low, high)
            for (int i = blockRow[b]; i < blockRow[b + 1]; i++)
            {
                int e = rowStart[i], stop = rowStart[i + 1];
                if (e == stop) continue;
                if (Avx2.IsSupported && Fma.IsSupported) Row8(i, e, stop, py, acc, pc, pv);
                else RowScalar(i, e, stop, py, acc, pc, pv);
            }
        }
    }

    /// <summary>Eight edges per step: the neighbours' (x, y, z, 0) are transposed into x, y and z vectors of eight
    /// lanes (four unpacks and three shuffles), the force is computed lane by lane, and transposed back into one
    /// (x, y, z, 0) per neighbour for its sum (four unpacks and four shuffles): fewer operations than two neighbours
    /// per vector with sums across lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Row8(int i, int e, int stop, float* pos, float* acc, int* pc, float* pv)
    {
        var ox = Vector256.Create(pos[4 * i]); var oy = Vector256.Create(pos[4 * i + 1]); var oz = Vector256.Create(pos[4 * i + 2]);
        var one = Vector256.Create(1f);
        var two = Vector256.Create(2f);
        var sx = Vector256<float>.Zero; var sy = Vector256<float>.Zero; var sz = Vector256<float>.Zero;
        uint* col = (uint*)pc + e, end = (uint*)pc + stop;
        float* p = pv + e;
        for (; col < end; col += 8, p += 8)
        {
            nuint j0 = col[0], j1 = col[1], j2 = col[2], j3 = col[3], j4 = col[4], j5 = col[5], j6 = col[6], j7 = col[7];
            var a0 = Quad(pos, j0, j4); var a1 = Quad(pos, j1, j5); var a2 = Quad(pos, j2, j6); var a3 = Quad(pos, j3, j7);
            var t0 = Avx.UnpackLow(a0, a1);  // [x₀ x₁ y₀ y₁ | x₄ x₅ y₄ y₅]
            var t1 = Avx.UnpackHigh(a0, a1); // [z₀ z₁ 0 0 | z₄ z₅ 0 0]
            var t2 = Avx.UnpackLow(a2, a3);
            var t3 = Avx.UnpackHigh(a2, a3);
            var dx = ox - Avx.Shuffle(t0, t2, 0b01_00_01_00); // lanes: edges 0 1 2 3 | 4 5 6 7
            var dy = oy - Avx.Shuffle(t0, t2, 0b11_10_11_10);
            var dz = oz - Avx.Shuffle(t1, t3, 0b01_00_01_00);
            var q = Fma.MultiplyAdd(dz, dz, Fma.MultiplyAdd(dy, dy, Fma.MultiplyAdd(dx, dx, one)));
            var r = Avx.Reciprocal(q);
            var w = (Avx.LoadVector256(p) * r) * Fma.MultiplyAddNegated(q, r, two); // p q with one Newton step
            var fx = w * dx; var fy = w * dy; var fz = w * dz;
            sx += fx; sy += fy; sz += fz;
            var u0 = Avx.UnpackLow(fx, fy);                        // [fx₀ fy₀ fx₁ fy₁ | fx₄ fy₄ fx₅ fy₅]
            var u1 = Avx.UnpackHigh(fx, fy);
            var v0 = Avx.UnpackLow(fz, Vector256<float>.Zero);     // [fz₀ 0 fz₁ 0 | fz₄ 0 fz₅ 0]
            var v1 = Avx.UnpackHigh(fz, Vector256<float>.Zero);
            Subtract(acc, j0, j4, Avx.Shuffle(u0, v0, 0b01_00_01_00));
            Subtract(acc, j1, j5, Avx.Shuffle(u0, v0, 0b11_10_11_10));
            Subtract(acc, j2, j6, Avx.Shuffle(u1, v1, 0b01_00_01_00));
            Subtract(acc, j3, j7, Avx.Shuffle(u1, v1, 0b11_10_11_10));
        }
        acc[4 * i] += Vector256.Sum(sx); acc[4 * i + 1] += Vector256.Sum(sy); acc[4 * i + 2] += Vector256.Sum(sz);
    }

    /// <summary>acc[j0] −= f's lower half, acc[j1] −= its upper half (4 floats each).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Subtract(float* acc, nuint j0, nuint j1, Vector256<float> f)
    {
        var a = Quad(acc, j0, j1) - f;
        Sse.Store(acc + 4 * j0, a.GetLower()); Sse.Store(acc + 4 * j1, a.GetUpper());
    }

    /// <summary>[x₀ y₀ z₀ w₀ x₁ y₁ z₁ w₁] of the 4-float elements j0 and j1 of <paramref name="at"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<float> Quad(float* at, nuint j0, nuint j1) =>
        Vector256.Create(Sse.LoadVector128(at + 4 * j0), Sse.LoadVector128(at + 4 * j1));

    private static unsafe void RowScalar(int i, int e, int stop, float* py, float* acc, int* pc, float* pv)
    {
        float y0 = py[4 * i], y1 = py[4 * i + 1], y2 = py[4 * i + 2], a0 = 0, a1 = 0, a2 = 0;
        for (; e < stop; e++)
        {
            int j = pc[e];
            float d0 = y0 - py[4 * j], d1 = y1 - py[4 * j + 1], d2 = y2 - py[4 * j + 2];
            float w = pv[e] / (1 + d0 * d0 + d1 * d1 + d2 * d2);
            float f0 = w * d0, f1 = w * d1, f2 = w * d2;
            a0 += f0; a1 += f1; a2 += f2;
            acc[4 * j] -= f0; acc[4 * j + 1] -= f1; acc[4 * j + 2] -= f2;
        }
        acc[4 * i] += a0; acc[4 * i + 1] += a1; acc[4 * i + 2] += a2;
    }
}
