using System.Runtime.Intrinsics;
using HeadAtlas.Projection;

// TEMPORARY: the kNN search and P of main before the knnfast branch, kept only so knnbench/pbench can time old and
// new side by side in one process. Delete once the figures are recorded (git keeps the code).
internal static class KnnOld
{
    private const int Lanes = 8;     // candidates per block (one Vector256<float>)
    private const int RowsPerTask = 32;

    /// <summary>
    /// Exact kNN by brute force: squared distances ‖x‖² + ‖y‖² − 2x·y with the dot products computed eight candidates
    /// at a time (candidates stored dimension-major in blocks of eight), multi-threaded over query rows. The k survivors
    /// get their distances recomputed directly from differences, so the returned distances carry no cancellation error.
    /// Deterministic: each query row is handled by one thread in a fixed order; ties break by lower index.
    /// </summary>
    internal static KnnGraph Exact(ReadOnlySpan<float> data, int n, int d, int k, int threads = 0)
    {
        if (data.Length != (long)n * d) throw new ArgumentException($"data has {data.Length} values, expected n·d = {n}·{d}");
        if (k < 1 || k > n - 1) throw new ArgumentException($"k must be in 1..n−1 = {n - 1} (got {k})");

        var x = data.ToArray(); // [n, d]
        var norms = new float[n]; // [n] squared norms
        for (int i = 0; i < n; i++)
            norms[i] = System.Numerics.Tensors.TensorPrimitives.SumOfSquares<float>(x.AsSpan(i * d, d));

        // Candidate blocks, dimension-major: blocks[b, t, lane] = x[b·8 + lane, t]; padding lanes get norm +∞.
        int blockCount = (n + Lanes - 1) / Lanes;
        var blocks = new float[blockCount * d * Lanes]; // [blockCount, d, 8]
        var blockNorms = new float[blockCount * Lanes];  // [blockCount, 8]
        Array.Fill(blockNorms, float.PositiveInfinity);
        for (int i = 0; i < n; i++)
        {
            int b = i / Lanes, lane = i % Lanes;
            for (int t = 0; t < d; t++) blocks[(b * d + t) * Lanes + lane] = x[i * d + t];
            blockNorms[i] = norms[i];
        }

        var indices = new int[n * k];
        var distances = new float[n * k];
        int tasks = (n + RowsPerTask - 1) / RowsPerTask;
        var options = new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount };
        Parallel.For(0, tasks, options, task =>
        {
            var heapDist = new float[4 * k];
            var heapIdx = new int[4 * k];
            int end = Math.Min(n, (task + 1) * RowsPerTask);
            for (int i0 = task * RowsPerTask; i0 < end; i0 += 4)
            {
                int rows = Math.Min(4, end - i0);
                SearchRows(x, d, norms, blocks, blockNorms, blockCount, i0, rows, k, heapDist, heapIdx);
                for (int r = 0; r < rows; r++)
                    Finish(x, d, i0 + r, k, heapDist.AsSpan(r * k, k), heapIdx.AsSpan(r * k, k),
                        indices.AsSpan((i0 + r) * k, k), distances.AsSpan((i0 + r) * k, k));
            }
        });
        return new KnnGraph(n, k, indices, distances);
    }

    /// <summary>Scans all candidates for up to four query rows i0..i0+rows−1, keeping each row's k best in a max-heap.</summary>
    private static unsafe void SearchRows(float[] x, int d, float[] norms, float[] blocks, float[] blockNorms, int blockCount,
        int i0, int rows, int k, float[] heapDist, int[] heapIdx)
    {
        var counts = stackalloc int[4];
        for (int r = 0; r < 4; r++) counts[r] = 0;
        var q = stackalloc float[4 * d]; // [4, d]; missing rows are zeros and ignored
        for (int r = 0; r < 4; r++)
            for (int t = 0; t < d; t++) q[r * d + t] = r < rows ? x[(i0 + r) * d + t] : 0;
        var threshold = stackalloc float[4];
        for (int r = 0; r < 4; r++) threshold[r] = float.PositiveInfinity;
        var dist = stackalloc float[4 * Lanes];

        fixed (float* blockBase = blocks, blockNormBase = blockNorms)
        {
            for (int b = 0; b < blockCount; b++)
            {
                float* c = blockBase + (long)b * d * Lanes;
                var a0 = Vector256<float>.Zero; var a1 = a0; var a2 = a0; var a3 = a0;
                for (int t = 0; t < d; t++)
                {
                    var v = Vector256.Load(c + t * Lanes);
                    a0 = Vector256.FusedMultiplyAdd(Vector256.Create(q[t]), v, a0);
                    a1 = Vector256.FusedMultiplyAdd(Vector256.Create(q[d + t]), v, a1);
                    a2 = Vector256.FusedMultiplyAdd(Vector256.Create(q[2 * d + t]), v, a2);
                    a3 = Vector256.FusedMultiplyAdd(Vector256.Create(q[3 * d + t]), v, a3);
                }
                var cn = Vector256.Load(blockNormBase + b * Lanes);
                var minus2 = Vector256.Create(-2f);
                Vector256.Store(Vector256.FusedMultiplyAdd(minus2, a0, cn), dist);
                Vector256.Store(Vector256.FusedMultiplyAdd(minus2, a1, cn), dist + Lanes);
                Vector256.Store(Vector256.FusedMultiplyAdd(minus2, a2, cn), dist + 2 * Lanes);
                Vector256.Store(Vector256.FusedMultiplyAdd(minus2, a3, cn), dist + 3 * Lanes);
                for (int r = 0; r < rows; r++)
                {
                    // The query's own norm is a constant per row: rank by ‖y‖² − 2x·y and add ‖x‖² at the end.
                    var row = Vector256.Load(dist + r * Lanes);
                    uint mask = Vector256.LessThan(row, Vector256.Create(threshold[r])).ExtractMostSignificantBits();
                    while (mask != 0)
                    {
                        int lane = System.Numerics.BitOperations.TrailingZeroCount(mask);
                        mask &= mask - 1;
                        int j = b * Lanes + lane;
                        if (j == i0 + r) continue;
                        threshold[r] = Push(heapDist.AsSpan(r * k, k), heapIdx.AsSpan(r * k, k), ref counts[r], k, dist[r * Lanes + lane], j);
                    }
                }
            }
        }
    }

    /// <summary>Adds (value, index) to a bounded max-heap; returns the admission threshold (the worst kept value once full).</summary>
    private static float Push(Span<float> hd, Span<int> hi, ref int count, int k, float value, int index)
    {
        if (count < k)
        {
            int c = count++;
            hd[c] = value; hi[c] = index;
            while (c > 0)
            {
                int p = (c - 1) / 2;
                if (!Worse(hd[c], hi[c], hd[p], hi[p])) break;
                (hd[c], hd[p]) = (hd[p], hd[c]); (hi[c], hi[p]) = (hi[p], hi[c]);
                c = p;
            }
            return count < k ? float.PositiveInfinity : BitIncrement(hd[0]);
        }
        if (!Worse(hd[0], hi[0], value, index)) return hd[0];
        hd[0] = value; hi[0] = index;
        int at = 0;
        while (true)
        {
            int l = 2 * at + 1, r = l + 1, w = at;
            if (l < k && Worse(hd[l], hi[l], hd[w], hi[w])) w = l;
            if (r < k && Worse(hd[r], hi[r], hd[w], hi[w])) w = r;
            if (w == at) break;
            (hd[at], hd[w]) = (hd[w], hd[at]); (hi[at], hi[w]) = (hi[w], hi[at]);
            at = w;
        }
        // Ties at the threshold are admitted by index order, so admit equal values too.
        return BitIncrement(hd[0]);
    }

    private static float BitIncrement(float v) => MathF.BitIncrement(v);

    private static bool Worse(float d1, int i1, float d2, int i2) => d1 > d2 || (d1 == d2 && i1 > i2);

    /// <summary>Recomputes the survivors' distances from differences and writes them sorted (distance, then index).</summary>
    private static void Finish(float[] x, int d, int i, int k, Span<float> hd, Span<int> hi, Span<int> outIdx, Span<float> outDist)
    {
        var xi = x.AsSpan(i * d, d);
        var pairs = new (float Dist, int Index)[k];
        for (int s = 0; s < k; s++)
        {
            int j = hi[s];
            double sum = 0;
            var xj = x.AsSpan(j * d, d);
            for (int t = 0; t < d; t++) { double diff = xi[t] - xj[t]; sum += diff * diff; }
            pairs[s] = ((float)Math.Sqrt(sum), j);
        }
        Array.Sort(pairs, (a, b) => a.Dist != b.Dist ? a.Dist.CompareTo(b.Dist) : a.Index.CompareTo(b.Index));
        for (int s = 0; s < k; s++) { outIdx[s] = pairs[s].Index; outDist[s] = pairs[s].Dist; }
    }
}

internal static class AffinitiesOld
{
    internal static (double Beta, double Entropy) Calibrate(ReadOnlySpan<double> squaredDistances, double perplexity, Span<double> p,
        double tolerance = 1e-5, int maxSteps = 200)
    {
        int k = squaredDistances.Length;
        double target = Math.Log(perplexity);
        double dMin = double.MaxValue;
        foreach (var v in squaredDistances) dMin = Math.Min(dMin, v);
        // Shifting by the nearest distance leaves the normalized distribution unchanged and keeps exp() in range.
        // Safeguarded Newton on β: H(β) falls monotonically with dH/dβ = −β·Var_p(d), so a Newton step usually lands
        // within the tolerance in a handful of steps; a step that leaves the bracket [lo, hi] known so far bisects instead.
        double beta = 1, lo = 0, hi = double.PositiveInfinity, entropy = 0;
        for (int step = 0; step < maxSteps; step++)
        {
            double sum = 0, weighted = 0, weighted2 = 0;
            for (int j = 0; j < k; j++)
            {
                double shifted = squaredDistances[j] - dMin;
                double e = Math.Exp(-beta * shifted);
                p[j] = e;
                sum += e;
                weighted += e * shifted;
                weighted2 += e * shifted * shifted;
            }
            double mean = weighted / sum;
            entropy = Math.Log(sum) + beta * mean;
            for (int j = 0; j < k; j++) p[j] /= sum;
            double gap = entropy - target;
            if (Math.Abs(gap) < tolerance) break;
            if (gap > 0) lo = beta; else hi = beta;
            double variance = Math.Max(weighted2 / sum - mean * mean, 0);
            // No spread left: all the mass sits on the nearest neighbours (duplicates at the same distance), so no β
            // changes the entropy any more; it stays above the target when there are more such duplicates than the
            // perplexity. Keep this p (uniform over them) rather than let β run off to infinity (∞·0 = NaN).
            if (variance == 0 && gap > 0) break;
            double next = variance > 0 ? beta + gap / (beta * variance) : double.NaN;
            if (!(next > lo && next < hi) || !double.IsFinite(next)) next = double.IsPositiveInfinity(hi) ? beta * 2 : 0.5 * (lo + hi);
            beta = next;
        }
        return (beta, entropy);
    }

    /// <summary>Builds the symmetric P from a kNN graph (distances euclidean; the Gaussian uses their squares).</summary>
    internal static SparseAffinities FromKnn(KnnGraph graph, double perplexity, int threads = 0)
    {
        int n = graph.N, k = graph.K;
        var conditional = new double[n * k]; // [n, k] pⱼ|ᵢ
        var options = new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount };
        Parallel.For(0, n, options, i =>
        {
            Span<double> sq = stackalloc double[k];
            for (int j = 0; j < k; j++) { double dist = graph.Distances[i * k + j]; sq[j] = dist * dist; }
            Calibrate(sq, perplexity, conditional.AsSpan(i * k, k));
        });

        // Symmetrize: each directed entry i→j contributes pⱼ|ᵢ/(2n) to both (i, j) and (j, i). Row i of P merges its
        // own k entries (sorted by column) with the entries that name i (the transposed graph: entry numbers, in
        // ascending source row); a mutual pair meets once from each side and is summed. Counted, then filled, row by
        // row in parallel: memory stays at the transposed index [n·k] besides the result (at 1M points this matters).
        var reverseStart = new int[n + 1];
        foreach (int j in graph.Indices) reverseStart[j + 1]++;
        for (int i = 0; i < n; i++) reverseStart[i + 1] += reverseStart[i];
        var reverse = new int[n * k]; // [n·k] entry numbers e = r·k + s with Indices[e] = this row, rows ascending
        var fill = reverseStart[..n];
        for (int e = 0; e < n * k; e++) reverse[fill[graph.Indices[e]]++] = e;
        fill = [];

        var rowStart = new int[n + 1];
        Parallel.For(0, n, options, () => new (int, int)[k], (i, _, own) =>
        {
            rowStart[i + 1] = MergeRow(graph, i, own, reverse, reverseStart, conditional, n, null, null, 0);
            return own;
        }, _ => { });
        for (int i = 0; i < n; i++) rowStart[i + 1] += rowStart[i];
        var outCols = new int[rowStart[n]];    // [nnz]
        var outVals = new double[rowStart[n]]; // [nnz]
        Parallel.For(0, n, options, () => new (int, int)[k], (i, _, own) =>
        {
            MergeRow(graph, i, own, reverse, reverseStart, conditional, n, outCols, outVals, rowStart[i]);
            return own;
        }, _ => { });
        return new SparseAffinities(n, rowStart, outCols, outVals);
    }

    /// <summary>Row i of the symmetric P: its own entries (column, entry number) sorted by column in
    /// <paramref name="own"/>, merged with the reverse entries. Writes them from <paramref name="at"/> when
    /// <paramref name="cols"/> is given; returns the count.</summary>
    private static int MergeRow(KnnGraph graph, int i, (int Column, int Entry)[] own, int[] reverse, int[] reverseStart,
        double[] conditional, int n, int[]? cols, double[]? vals, int at)
    {
        int k = graph.K;
        for (int s = 0; s < k; s++) own[s] = (graph.Indices[i * k + s], i * k + s);
        Array.Sort(own, (x, y) => x.Column.CompareTo(y.Column));
        int a = 0, b = reverseStart[i], bEnd = reverseStart[i + 1], count = 0;
        double twoN = 2.0 * n;
        while (a < k || b < bEnd)
        {
            int colA = a < k ? own[a].Column : int.MaxValue;
            int colB = b < bEnd ? reverse[b] / k : int.MaxValue;
            int col = Math.Min(colA, colB);
            double v = 0;
            if (colA == col) v = conditional[own[a++].Entry] / twoN;
            if (colB == col) v = colA == col ? v + conditional[reverse[b++]] / twoN : conditional[reverse[b++]] / twoN;
            if (cols is not null) { cols[at + count] = col; vals![at + count] = v; }
            count++;
        }
        return count;
    }
}
