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
    public static (double Beta, double Entropy) Calibrate(ReadOnlySpan<double> squaredDistances, double perplexity, Span<double> p,
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
    public static SparseAffinities FromKnn(KnnGraph graph, double perplexity, int threads = 0)
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
