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
        double sum = 0;
        int count = 0;
        var w = new List<double>();
        var negDist = new List<double>();
        for (int t = 0; t < n; t++)
        {
            int length = offsets[t + 1] - offsets[t];
            int first = sentenceStart[t];
            int keys = causal ? Math.Min(length, t - first + 1) : length;
            if (keys < 3) continue;
            w.Clear(); negDist.Clear();
            for (int p = 0; p < keys; p++)
            {
                int key = n + first + p;
                double r2 = 0;
                for (int a = 0; a < dims; a++) { double diff = coords[t * dims + a] - coords[key * dims + a]; r2 += diff * diff; }
                w.Add(weights[offsets[t] + p]);
                negDist.Add(-Math.Sqrt(r2));
            }
            double rho = Spearman(w, negDist);
            if (double.IsNaN(rho)) continue;
            sum += rho; count++;
        }
        return count == 0 ? double.NaN : sum / count;
    }

    /// <summary>Spearman's ρ: Pearson correlation of the ranks (ties get their average rank). NaN when either side is constant.</summary>
    public static double Spearman(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        var ra = Ranks(a);
        var rb = Ranks(b);
        int m = ra.Length;
        double ma = ra.Average(), mb = rb.Average(), sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < m; i++)
        {
            sab += (ra[i] - ma) * (rb[i] - mb);
            saa += (ra[i] - ma) * (ra[i] - ma);
            sbb += (rb[i] - mb) * (rb[i] - mb);
        }
        return saa == 0 || sbb == 0 ? double.NaN : sab / Math.Sqrt(saa * sbb);
    }

    private static double[] Ranks(IReadOnlyList<double> v)
    {
        int m = v.Count;
        var order = Enumerable.Range(0, m).OrderBy(i => v[i]).ToArray();
        var ranks = new double[m];
        for (int s = 0; s < m;)
        {
            int e = s;
            while (e + 1 < m && v[order[e + 1]] == v[order[s]]) e++;
            double average = (s + e) / 2.0 + 1;
            for (int t = s; t <= e; t++) ranks[order[t]] = average;
            s = e + 1;
        }
        return ranks;
    }
}
