using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace HeadAtlas.Projection;

/// <summary>
/// 2D t-SNE attraction over a symmetric P, each undirected edge once: f = pᵢⱼ qᵢⱼ (yᵢ − yⱼ) is added to point i and
/// subtracted from point j (pᵢⱼ = pⱼᵢ), which halves both the arithmetic and the stream of P entries compared with
/// summing every row in full. The rows are cut into a fixed number of blocks of about equal edge counts, whatever the
/// thread count; each block adds its edges in a fixed order into its own float buffer, and the buffers are summed in
/// block order, so the result is bit for bit the same with any number of threads.
/// </summary>
internal sealed class EdgeAttraction2D
{
    /// <summary>Row blocks (<see cref="UpperEdges.Blocks"/>); each costs one [rows touched, 2] buffer to clear and sum.</summary>
    public const int Blocks = UpperEdges.Blocks;

    private readonly int n;
    private readonly int[] rowStart;     // [n + 1] into columns/values
    private readonly int[] columns;      // [m] j > i of each edge (i, j); each row padded to a multiple of 4 with (i, pᵢᵢ = 0)
    private readonly float[] values;     // [m] pᵢⱼ
    private readonly int[] blockRow;     // [Blocks + 1] first row of each block
    private readonly int[] low, high;    // [Blocks] points [low, high) that a block's edges touch
    private readonly float[][] sums;     // [Blocks][high − low, 2] per-block force sums

    private EdgeAttraction2D(UpperEdges edges)
    {
        n = edges.N; rowStart = edges.RowStart; columns = edges.Columns; values = edges.Values;
        blockRow = edges.BlockRow; low = edges.Low; high = edges.High;
        sums = new float[Blocks][];
        for (int b = 0; b < Blocks; b++) sums[b] = new float[2 * (high[b] - low[b])];
    }

    /// <summary>The edge-once form of <paramref name="p"/>, or null if P is not symmetric (<see cref="UpperEdges"/>).</summary>
    public static EdgeAttraction2D? TryCreate(SparseAffinities p) =>
        UpperEdges.TryCreate(p, rowMultiple: 4) is { } edges ? new EdgeAttraction2D(edges) : null;

    /// <summary>yf: [n, 2] positions as float; writes attr [n, 2].</summary>
    public void Compute(float[] yf, double[] attr, ParallelOptions parallel)
    {
        Parallel.For(0, Blocks, parallel, b => Block(b, yf));
        Combine(attr, parallel);
    }

    /// <summary>Blocks [from, to) on the calling thread (a piece of <see cref="Compute"/> to run beside other work;
    /// <see cref="Combine"/> then writes attr once all blocks are done).</summary>
    public void ComputeBlocks(float[] yf, int from, int to)
    {
        for (int b = from; b < to; b++) Block(b, yf);
    }

    /// <summary>Sums the block buffers in block order into attr [n, 2], in parallel over chunks of points.</summary>
    public void Combine(double[] attr, ParallelOptions parallel)
    {
        const int chunk = 4096; // points
        Parallel.For(0, (n + chunk - 1) / chunk, parallel, c => Combine(c * chunk, Math.Min(n, (c + 1) * chunk), attr));
    }

    /// <summary>attr[start..end) = Σ_b sums[b] over points [start, end), in block order.</summary>
    private unsafe void Combine(int start, int end, double[] attr)
    {
        Array.Clear(attr, 2 * start, 2 * (end - start));
        fixed (double* pa = attr)
            for (int b = 0; b < Blocks; b++)
            {
                int from = Math.Max(start, low[b]), to = Math.Min(end, high[b]);
                if (from >= to) continue;
                fixed (float* ps = sums[b])
                {
                    float* src = ps + 2 * (from - low[b]);
                    double* dst = pa + 2 * from;
                    int count = 2 * (to - from), t = 0;
                    if (Avx.IsSupported)
                        for (; t + 4 <= count; t += 4)
                            Avx.Store(dst + t, Avx.LoadVector256(dst + t) + Avx.ConvertToVector256Double(Sse.LoadVector128(src + t)));
                    for (; t < count; t++) dst[t] += src[t];
                }
            }
    }

    /// <summary>The edges of block b's rows into sums[b].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe void Block(int b, float[] yf)
    {
        var buffer = sums[b];
        Array.Clear(buffer);
        fixed (float* py = yf, pv = values, pb = buffer)
        fixed (int* pc = columns)
        {
            double* pos = (double*)py;          // [n] (x, y) of each point as one 64-bit element
            double* acc = (double*)pb - low[b]; // acc[j]: the (x, y) force sum of point j, j in [low, high)
            for (int i = blockRow[b]; i < blockRow[b + 1]; i++)
            {
                int e = rowStart[i], stop = rowStart[i + 1];
                if (e == stop) continue;
                if (Avx2.IsSupported && Fma.IsSupported) Row(i, e, stop, pos, acc, pc, pv);
                else RowScalar(i, e, stop, (float*)pos, (float*)acc, pc, pv);
            }
        }
    }

    /// <summary>Four edges per step: the neighbours' positions and force sums as [x₀ y₀ x₁ y₁ x₂ y₂ x₃ y₃], built
    /// from four 64-bit loads each (a load into the low and one into the high half of each 128-bit lane).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Row(int i, int e, int stop, double* pos, double* acc, int* pc, float* pv)
    {
        var own = Vector256.Create(pos[i]).AsSingle(); // [x y x y x y x y]
        var one = Vector256.Create(1f);
        var two = Vector256.Create(2f);
        var sum = Vector256<float>.Zero;
        uint* col = (uint*)pc + e, end = (uint*)pc + stop;
        float* p = pv + e;
        for (; col < end; col += 4, p += 4)
        {
            nuint j0 = col[0], j1 = col[1], j2 = col[2], j3 = col[3];
            var d = own - Pairs(pos, j0, j1, j2, j3);
            var dSwapped = Avx.Permute(d, 0b10_11_00_01);                                   // [y₀ x₀ y₁ x₁ …]
            var q = Fma.MultiplyAdd(dSwapped, dSwapped, Fma.MultiplyAdd(d, d, one));        // 1 + dx² + dy² in both lanes
            // [p₀ 0 p₁ 0 p₂ 0 p₃ 0] by zero extension, then each p copied into the odd lane.
            var p8 = Avx.DuplicateEvenIndexed(Avx2.ConvertToVector256Int64((uint*)p).AsSingle());
            var r = Avx.Reciprocal(q);                                                      // 1/q to 12 bits
            // One Newton step r (2 − q r) as in FastReciprocal, with 2 − q r fused and p multiplied in before it.
            var f = d * ((p8 * r) * Fma.MultiplyAddNegated(q, r, two));
            sum += f;
            var a = Pairs(acc, j0, j1, j2, j3) - f;
            var lo = a.GetLower(); var hi = a.GetUpper();
            Sse.StoreLow((float*)(acc + j0), lo); Sse.StoreHigh((float*)(acc + j1), lo);
            Sse.StoreLow((float*)(acc + j2), hi); Sse.StoreHigh((float*)(acc + j3), hi);
        }
        var s = sum.GetLower() + sum.GetUpper();      // [x y x y]
        s += Sse.MoveHighToLow(s, s);                 // [Σx Σy · ·]
        var own2 = Vector128.CreateScalarUnsafe(acc[i]).AsSingle();
        Sse.StoreLow((float*)(acc + i), own2 + s);
    }

    /// <summary>[x₀ y₀ x₁ y₁ x₂ y₂ x₃ y₃] of the 64-bit (x, y) elements j0..j3 of <paramref name="at"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<float> Pairs(double* at, nuint j0, nuint j1, nuint j2, nuint j3)
    {
        var lo = Sse2.LoadHigh(Sse2.LoadScalarVector128(at + j0), at + j1);
        var hi = Sse2.LoadHigh(Sse2.LoadScalarVector128(at + j2), at + j3);
        return Vector256.Create(lo, hi).AsSingle();
    }

    private static unsafe void RowScalar(int i, int e, int stop, float* py, float* acc, int* pc, float* pv)
    {
        float y0 = py[2 * i], y1 = py[2 * i + 1], a0 = 0, a1 = 0;
        for (; e < stop; e++)
        {
            int j = pc[e];
            float d0 = y0 - py[2 * j], d1 = y1 - py[2 * j + 1];
            float w = pv[e] / (1 + d0 * d0 + d1 * d1);
            float f0 = w * d0, f1 = w * d1;
            a0 += f0; a1 += f1;
            acc[2 * j] -= f0; acc[2 * j + 1] -= f1;
        }
        acc[2 * i] += a0; acc[2 * i + 1] += a1;
    }
}
