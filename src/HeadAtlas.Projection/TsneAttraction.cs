using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace HeadAtlas.Projection;

/// <summary>
/// Attractive t-SNE forces attr[i] = Σⱼ pᵢⱼ qᵢⱼ (yᵢ − yⱼ), qᵢⱼ = 1/(1+‖yᵢ−yⱼ‖²) unnormalized, over the CSR P.
/// Float throughout (P values and a per-iteration float copy of the positions), several edges at a time with AVX2
/// gathers of the neighbours' coordinates. Each row is summed in a fixed order by one thread, so the result does
/// not depend on the thread count. In 2D with a symmetric P (as <see cref="TsneAffinities.FromKnn"/> builds it) each
/// undirected edge is visited once instead (<see cref="EdgeAttraction2D"/>, <see cref="EdgeAttraction3D"/>), about
/// twice as fast.
/// </summary>
internal sealed class TsneAttraction
{
    private readonly int n, dims;
    private readonly int[] rowStart, columns; // [n + 1], [nnz]
    private readonly float[] values;          // [nnz] pᵢⱼ (empty when the edge-once path is used)
    private readonly float[] yf;              // [n, dims] positions as float, refreshed per call ([n, 4] (x, y, z, 0) for edges3)
    private readonly EdgeAttraction2D? edges; // 2D and P symmetric: each undirected edge once
    private readonly EdgeAttraction3D? edges3; // 3D and P symmetric: each undirected edge once

    /// <param name="edgesOnce">false: always sum every row in full (the benchmark's comparison).</param>
    public TsneAttraction(SparseAffinities p, int dims, bool edgesOnce = true)
    {
        n = p.N; this.dims = dims;
        rowStart = p.RowStart; columns = p.Columns;
        edges = dims == 2 && edgesOnce ? EdgeAttraction2D.TryCreate(p) : null;
        edges3 = dims == 3 && edgesOnce ? EdgeAttraction3D.TryCreate(p) : null;
        values = edges is null && edges3 is null ? p.Values.Select(v => (float)v).ToArray() : [];
        yf = new float[edges3 is null ? n * dims : n * 4];
    }

    /// <summary>True if each undirected edge is visited once (symmetric P).</summary>
    public bool EdgesOnce => edges is not null || edges3 is not null;

    /// <summary>y: [n, dims]; writes attr [n, dims].</summary>
    public void Compute(double[] y, double[] attr, ParallelOptions parallel)
    {
        if (edges3 is not null)
        {
            for (int i = 0; i < n; i++)
            {
                yf[4 * i] = (float)y[3 * i]; yf[4 * i + 1] = (float)y[3 * i + 1]; yf[4 * i + 2] = (float)y[3 * i + 2];
            }
            edges3.Compute(yf, attr, parallel);
            return;
        }
        for (int t = 0; t < yf.Length; t++) yf[t] = (float)y[t];
        if (edges is not null) { edges.Compute(yf, attr, parallel); return; }
        Parallel.For(0, (n + 255) / 256, parallel, chunk =>
        {
            int end = Math.Min(n, (chunk + 1) * 256);
            for (int i = chunk * 256; i < end; i++)
            {
                if (dims == 2) Row2(i, attr);
                else Row3(i, attr);
            }
        });
    }

    /// <summary>The attraction as two independent single-threaded pieces, to run beside other work (the repulsion):
    /// y: [n, dims]; after both ran, <see cref="FinishPieces"/> writes attr. Null unless each edge is visited once
    /// (then <see cref="Compute"/> is the only way), and null in 3D.</summary>
    public Action[]? Pieces(double[] y)
    {
        if (edges is null) return null;
        for (int t = 0; t < yf.Length; t++) yf[t] = (float)y[t];
        int half = EdgeAttraction2D.Blocks / 2;
        return [() => edges.ComputeBlocks(yf, 0, half), () => edges.ComputeBlocks(yf, half, EdgeAttraction2D.Blocks)];
    }

    /// <summary>attr [n, dims] from the pieces of the last <see cref="Pieces"/> call.</summary>
    public void FinishPieces(double[] attr, ParallelOptions parallel) => edges!.Combine(attr, parallel);

    /// <summary>2D: each neighbour's (x, y) is one 64-bit element, four neighbours' positions make one vector
    /// [x₀ y₀ x₁ y₁ x₂ y₂ x₃ y₃]. Four plain 64-bit loads build it faster than an AVX2 gather on this AMD EPYC
    /// (1.6 vs 2.3 ms per call at 10k points, 1.22M entries, one thread; gathers of 32-bit x's and y's: 2.3–3.5 ms).</summary>
    private unsafe void Row2(int i, double[] attr)
    {
        int e = rowStart[i], stop = rowStart[i + 1];
        float a0 = 0, a1 = 0;
        fixed (float* py = yf, pv = values)
        fixed (int* pc = columns)
        {
            if (Avx2.IsSupported && stop - e >= 4)
            {
                double* pairs = (double*)py; // [n] (x, y) of each point as one 64-bit element
                var own = Vector256.Create(pairs[i]).AsSingle(); // [x y x y x y x y]
                var one = Vector256.Create(1f);
                var duplicate = Vector256.Create(0, 0, 1, 1, 2, 2, 3, 3);
                var sum = Vector256<float>.Zero;
                for (; e + 4 <= stop; e += 4)
                {
                    var d = own - Vector256.Create(pairs[pc[e]], pairs[pc[e + 1]], pairs[pc[e + 2]], pairs[pc[e + 3]]).AsSingle();
                    var d2 = d * d;
                    var r2 = d2 + Avx.Permute(d2, 0b10_11_00_01); // dx² + dy² in both lanes of each pair
                    var p4 = Sse.LoadVector128(pv + e);
                    var p8 = Avx2.PermuteVar8x32(Vector256.Create(p4, p4), duplicate); // [p₀ p₀ p₁ p₁ …]
                    sum += d * (p8 / (one + r2));
                }
                a0 = sum.GetElement(0) + sum.GetElement(2) + sum.GetElement(4) + sum.GetElement(6);
                a1 = sum.GetElement(1) + sum.GetElement(3) + sum.GetElement(5) + sum.GetElement(7);
            }
            float y0 = py[2 * i], y1 = py[2 * i + 1];
            for (; e < stop; e++)
            {
                int j = pc[e];
                float d0 = y0 - py[2 * j], d1 = y1 - py[2 * j + 1];
                float w = pv[e] / (1 + d0 * d0 + d1 * d1);
                a0 += w * d0; a1 += w * d1;
            }
        }
        attr[2 * i] = a0; attr[2 * i + 1] = a1;
    }

    private unsafe void Row3(int i, double[] attr)
    {
        int e = rowStart[i], stop = rowStart[i + 1];
        float y0 = yf[3 * i], y1 = yf[3 * i + 1], y2 = yf[3 * i + 2], a0 = 0, a1 = 0, a2 = 0;
        fixed (float* py = yf, pv = values)
        fixed (int* pc = columns)
        {
            if (Avx2.IsSupported && stop - e >= 8)
            {
                var v0 = Vector256.Create(y0); var v1 = Vector256.Create(y1); var v2 = Vector256.Create(y2);
                var s0 = Vector256<float>.Zero; var s1 = Vector256<float>.Zero; var s2 = Vector256<float>.Zero;
                var one = Vector256.Create(1f);
                var three = Vector256.Create(3);
                for (; e + 8 <= stop; e += 8)
                {
                    var idx = Avx2.MultiplyLow(Avx.LoadVector256(pc + e), three); // 3·j
                    var d0 = v0 - Avx2.GatherVector256(py, idx, 4);
                    var d1 = v1 - Avx2.GatherVector256(py + 1, idx, 4);
                    var d2 = v2 - Avx2.GatherVector256(py + 2, idx, 4);
                    var w = Avx.LoadVector256(pv + e) / (one + d0 * d0 + d1 * d1 + d2 * d2);
                    s0 += w * d0; s1 += w * d1; s2 += w * d2;
                }
                a0 = Vector256.Sum(s0); a1 = Vector256.Sum(s1); a2 = Vector256.Sum(s2);
            }
            for (; e < stop; e++)
            {
                int j = pc[e];
                float d0 = y0 - py[3 * j], d1 = y1 - py[3 * j + 1], d2 = y2 - py[3 * j + 2];
                float w = pv[e] / (1 + d0 * d0 + d1 * d1 + d2 * d2);
                a0 += w * d0; a1 += w * d1; a2 += w * d2;
            }
        }
        attr[3 * i] = a0; attr[3 * i + 1] = a1; attr[3 * i + 2] = a2;
    }
}
