namespace HeadAtlas.Projection;

/// <summary>A symmetric weighted graph in compressed rows (both directions of every edge stored).</summary>
public sealed class WeightedGraph
{
    public int N { get; }
    /// <summary>[n + 1]</summary>
    public int[] RowStart { get; }
    /// <summary>Column of each entry, ascending within a row. [nnz]</summary>
    public int[] Columns { get; }
    /// <summary>Weight of each entry, in (0, 1]. [nnz]</summary>
    public float[] Weights { get; }

    public WeightedGraph(int n, int[] rowStart, int[] columns, float[] weights)
    {
        N = n; RowStart = rowStart; Columns = columns; Weights = weights;
    }
}

/// <summary>
/// UMAP's fuzzy simplicial set (McInnes, Healy, Melville 2018, §3): per point, ρ = distance to its nearest neighbour
/// and σ such that Σⱼ exp(−max(0, dⱼ − ρ)/σ) = log₂(n_neighbors); membership wᵢⱼ = exp(−max(0, dᵢⱼ − ρᵢ)/σᵢ);
/// then the fuzzy union w + wᵀ − w∘wᵀ.
/// </summary>
public static class UmapGraph
{
    private const double MinScale = 1e-3; // σ ≥ 1e-3 · mean neighbour distance, as umap-learn

    /// <summary>
    /// Calibrates one point from its k neighbour distances (self excluded, ascending): returns (ρ, σ) such that
    /// Σⱼ exp(−max(0, dⱼ − ρ)/σ) = log₂(k + 1) (k + 1 = n_neighbors counting the point itself, as umap-learn counts).
    /// </summary>
    /// <param name="useRho">False: ρ = 0 and target log₂(k) (umap-learn's choice for new points, whose k neighbours are all others).</param>
    public static (double Rho, double Sigma) Calibrate(ReadOnlySpan<float> distances, double meanOfAllDistances, bool useRho = true)
    {
        int k = distances.Length;
        double rho = 0;
        if (useRho) foreach (var v in distances) if (v > 0) { rho = v; break; }
        double target = useRho ? Math.Log2(k + 1) : Math.Log2(k);
        double lo = 0, hi = double.PositiveInfinity, mid = 1;
        for (int step = 0; step < 64; step++)
        {
            double sum = 0;
            foreach (var v in distances)
            {
                double gap = v - rho;
                sum += gap > 0 ? Math.Exp(-gap / mid) : 1;
            }
            if (Math.Abs(sum - target) < 1e-5) break;
            if (sum > target) { hi = mid; mid = (lo + hi) / 2; }
            else { lo = mid; mid = double.IsPositiveInfinity(hi) ? mid * 2 : (lo + hi) / 2; }
        }
        double mean = 0;
        foreach (var v in distances) mean += v;
        mean /= k;
        double floor = MinScale * (rho > 0 ? mean : meanOfAllDistances);
        return (rho, Math.Max(mid, floor));
    }

    /// <summary>Membership strength of a neighbour at distance <paramref name="distance"/>.</summary>
    public static float Membership(double distance, double rho, double sigma)
    {
        double gap = distance - rho;
        return gap <= 0 || sigma <= 0 ? 1f : (float)Math.Exp(-gap / sigma);
    }

    public static WeightedGraph FromKnn(KnnGraph graph, int threads = 0)
    {
        int n = graph.N, k = graph.K;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount };
        double meanAll = 0;
        foreach (var v in graph.Distances) meanAll += v;
        meanAll /= graph.Distances.Length;
        var directed = new float[n * k]; // [n, k] wᵢⱼ of i's j-th neighbour
        Parallel.For(0, n, parallel, i =>
        {
            var dist = graph.Distances.AsSpan(i * k, k);
            var (rho, sigma) = Calibrate(dist, meanAll);
            for (int s = 0; s < k; s++) directed[i * k + s] = Membership(dist[s], rho, sigma);
        });

        // Each directed entry i→j goes to row i (as "forward") and row j (as "reverse"); a column seen twice in a row
        // holds both directions, combined by the fuzzy union a + b − ab.
        var counts = new int[n + 1];
        for (int i = 0; i < n; i++)
            for (int s = 0; s < k; s++) { counts[i + 1]++; counts[graph.Indices[i * k + s] + 1]++; }
        for (int i = 0; i < n; i++) counts[i + 1] += counts[i];
        var fill = counts[..n].ToArray();
        var cols = new int[counts[n]];
        var vals = new float[counts[n]];
        for (int i = 0; i < n; i++)
            for (int s = 0; s < k; s++)
            {
                int j = graph.Indices[i * k + s];
                float w = directed[i * k + s];
                cols[fill[i]] = j; vals[fill[i]++] = w;
                cols[fill[j]] = i; vals[fill[j]++] = w;
            }
        var rowLength = new int[n];
        Parallel.For(0, n, parallel, i =>
        {
            int a = counts[i], b = counts[i + 1];
            Array.Sort(cols, vals, a, b - a);
            // Ties in column keep an unspecified order, but a + b − ab is symmetric in a and b.
            int o = a;
            for (int t = a; t < b; t++)
            {
                if (o > a && cols[o - 1] == cols[t]) { float u = vals[o - 1], v = vals[t]; vals[o - 1] = u + v - u * v; }
                else { cols[o] = cols[t]; vals[o++] = vals[t]; }
            }
            rowLength[i] = o - a;
        });
        var rowStart = new int[n + 1];
        for (int i = 0; i < n; i++) rowStart[i + 1] = rowStart[i] + rowLength[i];
        var outCols = new int[rowStart[n]];
        var outVals = new float[rowStart[n]];
        for (int i = 0; i < n; i++)
        {
            Array.Copy(cols, counts[i], outCols, rowStart[i], rowLength[i]);
            Array.Copy(vals, counts[i], outVals, rowStart[i], rowLength[i]);
        }
        return new WeightedGraph(n, rowStart, outCols, outVals);
    }
}
