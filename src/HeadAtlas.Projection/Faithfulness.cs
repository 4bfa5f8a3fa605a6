namespace HeadAtlas.Projection;

/// <summary>
/// How well a joint query/key projection shows a head's attention: for each query, the Spearman rank correlation
/// between its attention weights over the keys of its sentence and the negative projected distances from the query
/// point to those key points; averaged over queries. 1: nearer keys always get more attention; 0: no relation.
/// </summary>
public static class Faithfulness
{
    /// <param name="coords">The projection, [2N, dims]: rows 0..N−1 queries, N..2N−1 keys (as in the run's projection files).</param>
    /// <param name="weights">Attention rows concatenated; row t is weights[offsets[t]..offsets[t+1]), over key positions 0.. of its sentence.</param>
    /// <param name="offsets">[n + 1]</param>
    /// <param name="sentenceStart">Global index of the first token of token t's sentence. [n]</param>
    /// <param name="causal">Only keys at positions ≤ the query's own position count (the rest are masked, weight 0).</param>
    /// <returns>The mean over queries with at least three keys and some variation in both weights and distances; NaN if none.</returns>
    public static double MeanSpearman(ReadOnlySpan<float> coords, int n, int dims, ReadOnlySpan<float> weights, ReadOnlySpan<int> offsets,
        ReadOnlySpan<int> sentenceStart, bool causal)
    {
        if (coords.Length != 2L * n * dims) throw new ArgumentException($"coords must be [2·{n}, {dims}]");
        if (offsets.Length != n + 1 || sentenceStart.Length != n) throw new ArgumentException("offsets must be [n + 1] and sentenceStart [n]");
        int maxKeys = 0;
        for (int t = 0; t < n; t++) maxKeys = Math.Max(maxKeys, offsets[t + 1] - offsets[t]);
        var w = new double[maxKeys];       // [keys] attention weights of one query
        var negDist = new double[maxKeys]; // [keys] −‖query − key‖ in the projection
        var scratch = new RankScratch(maxKeys);
        double sum = 0;
        int count = 0;
        for (int t = 0; t < n; t++)
        {
            int length = offsets[t + 1] - offsets[t];
            int first = sentenceStart[t];
            int keys = causal ? Math.Min(length, t - first + 1) : length;
            if (keys < 3) continue;
            for (int p = 0; p < keys; p++)
            {
                int key = n + first + p;
                double r2 = 0;
                for (int a = 0; a < dims; a++) { double diff = coords[t * dims + a] - coords[key * dims + a]; r2 += diff * diff; }
                w[p] = weights[offsets[t] + p];
                negDist[p] = -Math.Sqrt(r2);
            }
            double rho = Spearman(w.AsSpan(0, keys), negDist.AsSpan(0, keys), scratch);
            if (double.IsNaN(rho)) continue;
            sum += rho; count++;
        }
        return count == 0 ? double.NaN : sum / count;
    }

    /// <summary>Spearman's ρ: Pearson correlation of the ranks (ties get their average rank). NaN when either side is constant.</summary>
    public static double Spearman(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        if (a.Count != b.Count) throw new ArgumentException($"Spearman needs two equally long lists (got {a.Count} and {b.Count})");
        return Spearman(a.ToArray(), b.ToArray(), new RankScratch(a.Count));
    }

    private static double Spearman(ReadOnlySpan<double> a, ReadOnlySpan<double> b, RankScratch scratch)
    {
        int m = a.Length;
        var ra = scratch.RanksA.AsSpan(0, m);
        var rb = scratch.RanksB.AsSpan(0, m);
        Ranks(a, ra, scratch);
        Ranks(b, rb, scratch);
        double mean = (m + 1) / 2.0; // average ranks always sum to m(m+1)/2
        double sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < m; i++)
        {
            double da = ra[i] - mean, db = rb[i] - mean;
            sab += da * db;
            saa += da * da;
            sbb += db * db;
        }
        return saa == 0 || sbb == 0 ? double.NaN : sab / Math.Sqrt(saa * sbb);
    }

    /// <summary>Writes 1-based ranks of <paramref name="v"/> into <paramref name="ranks"/>; ties share their average rank.</summary>
    private static void Ranks(ReadOnlySpan<double> v, Span<double> ranks, RankScratch scratch)
    {
        int m = v.Length;
        var sorted = scratch.Sorted.AsSpan(0, m);
        var order = scratch.Order.AsSpan(0, m);
        v.CopyTo(sorted);
        for (int i = 0; i < m; i++) order[i] = i;
        sorted.Sort(order); // the order within ties does not matter: they all get the same rank
        for (int s = 0; s < m;)
        {
            int e = s;
            while (e + 1 < m && sorted[e + 1] == sorted[s]) e++;
            double average = (s + e) / 2.0 + 1;
            for (int t = s; t <= e; t++) ranks[order[t]] = average;
            s = e + 1;
        }
    }

    /// <summary>Buffers reused across queries (one query's keys at most), so ranking allocates nothing.</summary>
    private sealed class RankScratch(int capacity)
    {
        public readonly double[] RanksA = new double[capacity], RanksB = new double[capacity], Sorted = new double[capacity];
        public readonly int[] Order = new int[capacity];
    }
}
