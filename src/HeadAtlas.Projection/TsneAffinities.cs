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
            double next = variance > 0 ? beta + gap / (beta * variance) : double.NaN;
            if (!(next > lo && next < hi)) next = double.IsPositiveInfinity(hi) ? beta * 2 : 0.5 * (lo + hi);
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

        // Symmetrize: each directed entry i→j contributes pⱼ|ᵢ/(2n) to both (i, j) and (j, i).
        var counts = new int[n + 1];
        for (int i = 0; i < n; i++)
            for (int s = 0; s < k; s++) { counts[i + 1]++; counts[graph.Indices[i * k + s] + 1]++; }
        for (int i = 0; i < n; i++) counts[i + 1] += counts[i];
        var fill = counts[..n].ToArray();
        var cols = new int[counts[n]];
        var vals = new double[counts[n]];
        for (int i = 0; i < n; i++)
            for (int s = 0; s < k; s++)
            {
                int j = graph.Indices[i * k + s];
                double v = conditional[i * k + s] / (2.0 * n);
                cols[fill[i]] = j; vals[fill[i]++] = v;
                cols[fill[j]] = i; vals[fill[j]++] = v;
            }

        // Sort each row by column and merge duplicates (a mutual neighbour pair appears twice), compacting in place:
        // the write position never passes the read position, and no growing lists (at 1M points these arrays are GBs).
        Parallel.For(0, n, options, i => Array.Sort(cols, vals, counts[i], counts[i + 1] - counts[i]));
        var rowStart = new int[n + 1];
        int write = 0;
        for (int i = 0; i < n; i++)
        {
            int a = counts[i], b = counts[i + 1];
            for (int t = a; t < b; t++)
            {
                if (write > rowStart[i] && cols[write - 1] == cols[t]) vals[write - 1] += vals[t];
                else { cols[write] = cols[t]; vals[write] = vals[t]; write++; }
            }
            rowStart[i + 1] = write;
        }
        var outCols = cols.AsSpan(0, write).ToArray();  // [nnz]
        cols = [];
        var outVals = vals.AsSpan(0, write).ToArray();  // [nnz]
        return new SparseAffinities(n, rowStart, outCols, outVals);
    }
}
