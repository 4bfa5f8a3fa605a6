using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace HeadAtlas.Projection;

/// <summary>Sparse symmetric input affinities P of t-SNE, in compressed rows (CSR). Sums to 1.</summary>
public sealed class SparseAffinities
{
    public int N { get; }
    /// <summary>Row starts into <see cref="Columns"/>/<see cref="Values"/>. [n + 1]</summary>
    public int[] RowStart { get; }
    /// <summary>Column of each stored entry, ascending within a row. [nnz]</summary>
    public int[] Columns { get; }
    /// <summary>pᵢⱼ of each stored entry. [nnz]</summary>
    public double[] Values { get; }

    public SparseAffinities(int n, int[] rowStart, int[] columns, double[] values)
    {
        N = n; RowStart = rowStart; Columns = columns; Values = values;
    }
}

/// <summary>
/// Perplexity calibration: each point gets a Gaussian over its k nearest neighbours whose precision β is found by
/// binary search so that the entropy of pⱼ|ᵢ equals log(perplexity); then P = (P_cond + P_condᵀ) / (2n).
/// </summary>
public static class TsneAffinities
{
    /// <summary>
    /// Conditional probabilities of one point from the squared distances to its neighbours.
    /// Writes p (sums to 1) and returns (β, entropy in nats).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe (double Beta, double Entropy) Calibrate(ReadOnlySpan<double> squaredDistances, double perplexity, Span<double> p,
        double tolerance = 1e-5, int maxSteps = 200)
    {
        int k = squaredDistances.Length;
        if (p.Length < k) throw new ArgumentException($"p has {p.Length} entries, fewer than the {k} distances");
        double target = Math.Log(perplexity);
        double dMin = double.MaxValue;
        foreach (var v in squaredDistances) dMin = Math.Min(dMin, v);
        // Shifted distances, padded to whole vectors of four with zeros (their weights are masked off below).
        int padded = (k + 3) & ~3;
        var shiftedBuffer = padded <= 256 ? stackalloc double[padded] : new double[padded]; // [k rounded up to 4]
        var weightBuffer = padded <= 256 ? stackalloc double[padded] : new double[padded];  // [k rounded up to 4] exp(−β·shifted)
        for (int j = 0; j < k; j++) shiftedBuffer[j] = squaredDistances[j] - dMin;
        shiftedBuffer[k..].Clear();
        var lastMask = Vector256.LessThan(Vector256.Create(0.0, 1, 2, 3), Vector256.Create((double)(k - (padded - 4)))); // lanes < k in the last vector

        // Shifting by the nearest distance leaves the normalized distribution unchanged and keeps exp() in range.
        // Safeguarded Newton on β: H(β) falls monotonically with dH/dβ = −β·Var_p(d), so a Newton step usually lands
        // within the tolerance in a handful of steps; a step that leaves the bracket [lo, hi] known so far bisects instead.
        double beta = 1, lo = 0, hi = double.PositiveInfinity, entropy = 0, sum = 0;
        fixed (double* shifted = shiftedBuffer, weights = weightBuffer)
        {
            for (int step = 0; step < maxSteps; step++)
            {
                // Σe, Σe·d, Σe·d² over the neighbours, four at a time (e = exp(−β·d), d shifted).
                var minusBeta = Vector256.Create(-beta);
                var vSum = Vector256<double>.Zero; var vWeighted = vSum; var vWeighted2 = vSum;
                for (int j = 0; j < padded; j += 4)
                {
                    var d = Vector256.Load(shifted + j);
                    var e = NonPositiveExp.Exp(minusBeta * d);
                    if (j == padded - 4) e &= lastMask;
                    e.Store(weights + j);
                    vSum += e;
                    var ed = e * d;
                    vWeighted += ed;
                    vWeighted2 = Vector256.FusedMultiplyAdd(ed, d, vWeighted2);
                }
                sum = Vector256.Sum(vSum);
                double weighted = Vector256.Sum(vWeighted), weighted2 = Vector256.Sum(vWeighted2);
                double mean = weighted / sum;
                entropy = Math.Log(sum) + beta * mean;
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
        }
        // p from the last evaluated β (as the loop left it).
        for (int j = 0; j < k; j++) p[j] = weightBuffer[j] / sum;
        return (beta, entropy);
    }

    /// <summary>Rows per parallel task in <see cref="FromKnn"/>.</summary>
    private const int RowsPerTask = 256;

    /// <summary>Builds the symmetric P from a kNN graph (distances euclidean; the Gaussian uses their squares).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static SparseAffinities FromKnn(KnnGraph graph, double perplexity, int threads = 0)
    {
        int n = graph.N, k = graph.K;
        var options = new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount };
        int tasks = (n + RowsPerTask - 1) / RowsPerTask;
        var indices = graph.Indices; // [n, k]

        // Symmetrize: each directed entry i→j contributes pⱼ|ᵢ/(2n) to both (i, j) and (j, i). Row i of P merges its
        // own k entries (sorted by column) with the entries that name i (the transposed graph: entry numbers
        // e = r·k + s, in ascending source row r); a mutual pair meets once from each side and is summed. Counted, then
        // filled, row by row in parallel: memory stays at the transposed index [n·k] besides the result (at 1M points
        // this matters: a second [n·k] index, e.g. the rows pre-sorted by column, would not fit the 4 GiB budget).
        var reverseStart = new int[n + 1]; // [n + 1] start of each target's group in reverse
        foreach (int j in indices) reverseStart[j + 1]++;
        for (int i = 0; i < n; i++) reverseStart[i + 1] += reverseStart[i];
        var reverse = new int[n * k]; // [n·k] entries grouped by target, sources ascending
        var cursor = reverseStart[..n]; // [n]
        for (int e = 0; e < n * k; e++) reverse[cursor[indices[e]]++] = e;
        cursor = [];
        var divideByK = new Divisor(k);

        // Calibrate each row and count the entries of its row of P (k own + those naming it − mutual pairs, found by
        // marking the row's own columns in a per-thread [n] array); then fill the rows.
        var conditional = new double[n * k]; // [n, k] pⱼ|ᵢ
        var rowStart = new int[n + 1];
        Parallel.For(0, tasks, options, () => new int[n], [MethodImpl(MethodImplOptions.AggressiveOptimization)] (task, _, mark) =>
        {
            int start = task * RowsPerTask, end = Math.Min(n, start + RowsPerTask);
            CalibrateRows(graph, perplexity, start, end, conditional);
            for (int i = start; i < end; i++)
            {
                for (int s = 0; s < k; s++) mark[indices[i * k + s]] = i + 1;
                int mutual = 0;
                for (int b = reverseStart[i]; b < reverseStart[i + 1]; b++)
                    if (mark[divideByK.Divide(reverse[b])] == i + 1) mutual++;
                rowStart[i + 1] = k + (reverseStart[i + 1] - reverseStart[i]) - mutual;
            }
            return mark;
        }, _ => { });
        for (int i = 0; i < n; i++) rowStart[i + 1] += rowStart[i];

        var outCols = new int[rowStart[n]];    // [nnz]
        var outVals = new double[rowStart[n]]; // [nnz]
        Parallel.For(0, tasks, options, () => new ulong[k], [MethodImpl(MethodImplOptions.AggressiveOptimization)] (task, _, own) =>
        {
            for (int i = task * RowsPerTask, end = Math.Min(n, (task + 1) * RowsPerTask); i < end; i++)
                MergeRow(indices, k, divideByK, i, own, reverse, reverseStart, conditional, n, outCols, outVals, rowStart[i]);
            return own;
        }, _ => { });
        return new SparseAffinities(n, rowStart, outCols, outVals);
    }

    /// <summary>Rows [start, end) of pⱼ|ᵢ into <paramref name="conditional"/> [n, k].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CalibrateRows(KnnGraph graph, double perplexity, int start, int end, double[] conditional)
    {
        int k = graph.K;
        var sq = k <= 256 ? stackalloc double[k] : new double[k]; // [k] squared distances of one row
        var distances = graph.Distances;
        for (int i = start; i < end; i++)
        {
            for (int s = 0; s < k; s++) { double dist = distances[i * k + s]; sq[s] = dist * dist; }
            Calibrate(sq, perplexity, conditional.AsSpan(i * k, k));
        }
    }

    /// <summary>Row i of the symmetric P: its own entries sorted by column (in <paramref name="own"/>, [k] scratch, as
    /// column·2³² + s) merged with the entries naming i, written from <paramref name="at"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void MergeRow(int[] indices, int k, Divisor divideByK, int i, ulong[] own, int[] reverse, int[] reverseStart,
        double[] conditional, int n, int[] cols, double[] vals, int at)
    {
        for (int s = 0; s < k; s++) own[s] = (ulong)(uint)indices[i * k + s] << 32 | (uint)s;
        own.AsSpan().Sort();
        int a = 0, b = reverseStart[i], bEnd = reverseStart[i + 1], count = 0;
        double twoN = 2.0 * n;
        while (a < k || b < bEnd)
        {
            int colA = a < k ? (int)(own[a] >> 32) : int.MaxValue;
            int colB = b < bEnd ? divideByK.Divide(reverse[b]) : int.MaxValue;
            // The entries naming i come from all over P_cond: fetch their values ahead of use.
            if (Sse.IsSupported && b + 8 < bEnd) Sse.Prefetch0(Unsafe.AsPointer(ref conditional[reverse[b + 8]]));
            int col = Math.Min(colA, colB);
            double v = 0;
            if (colA == col) v = conditional[i * k + (int)(uint)own[a++]] / twoN;
            if (colB == col) v = colA == col ? v + conditional[reverse[b++]] / twoN : conditional[reverse[b++]] / twoN;
            cols[at + count] = col; vals[at + count] = v;
            count++;
        }
    }

    /// <summary>Division of non-negative ints by a fixed divisor as one multiply (Lemire, Kaser and Kurz 2019: for
    /// 32-bit x, x / d = high 64 bits of x·⌈2⁶⁴/d⌉).</summary>
    private readonly struct Divisor(int d)
    {
        private readonly ulong _multiplier = d > 1 ? ulong.MaxValue / (uint)d + 1 : 0; // 0: d = 1, divide is identity

        public int Divide(int x) => _multiplier == 0 ? x : (int)Math.BigMul(_multiplier, (ulong)(uint)x, out _);
    }
}
