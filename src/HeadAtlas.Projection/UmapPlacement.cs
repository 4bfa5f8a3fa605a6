namespace HeadAtlas.Projection;

/// <summary>
/// Out-of-sample UMAP (as umap-learn's transform): new points join a fixed embedding. Each new point gets memberships
/// to its n_neighbors nearest reference points (σ calibrated as in <see cref="UmapGraph"/> but with ρ = 0, as
/// umap-learn does for new points), starts at the membership-weighted mean of their positions, and is moved by the same
/// SGD (attraction to its neighbours, negative samples from the reference) with the reference held still.
/// Deterministic for a seed; new points do not affect each other.
/// </summary>
public static class UmapPlacement
{
    /// <param name="reference">The data the embedding was made from, [n, d].</param>
    /// <param name="embedding">Its embedding, [n, options.Dims].</param>
    /// <param name="points">New points, [m, d].</param>
    /// <returns>Positions of the new points, [m, options.Dims].</returns>
    public static float[] Place(float[] reference, int n, int d, float[] embedding, ReadOnlySpan<float> points, int m, UmapOptions options)
    {
        int dims = options.Dims;
        if (embedding.Length != (long)n * dims) throw new ArgumentException($"embedding must be [{n}, {dims}]");
        if (m == 0) return [];
        int k = Math.Min(options.Neighbors, n);
        var (indices, distances) = ReferenceNeighbours.Find(reference, n, d, points, m, k, options.Threads);
        double meanAll = distances.Average(v => (double)v);

        // Rows: new points; columns: reference points.
        var rowStart = new int[m + 1];
        var weights = new float[m * k];
        var y = new float[m * dims]; // [m, dims]
        for (int i = 0; i < m; i++)
        {
            rowStart[i + 1] = (i + 1) * k;
            var dist = distances.AsSpan(i * k, k);
            var (_, sigma) = UmapGraph.Calibrate(dist, meanAll, useRho: false);
            double total = 0;
            for (int s = 0; s < k; s++) { weights[i * k + s] = UmapGraph.Membership(dist[s], 0, sigma); total += weights[i * k + s]; }
            for (int s = 0; s < k; s++)
                for (int a = 0; a < dims; a++) y[i * dims + a] += (float)(weights[i * k + s] / total) * embedding[indices[i * k + s] * dims + a];
        }
        var graph = new WeightedGraph(m, rowStart, indices, weights);

        int epochs = options.Epochs > 0 ? Math.Max(1, options.Epochs / 3) : n <= 10_000 ? 100 : 30;
        var (a0, b0) = UmapCurve.Fit(options.MinDist, options.Spread);
        var schedule = new EdgeSchedule(graph, epochs, options.NegativeSampleRate);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.Threads > 0 ? options.Threads : Environment.ProcessorCount };
        // New points do not affect each other and the reference is fixed, so each block of points runs all its epochs alone.
        const int pointsPerTask = 256;
        Parallel.For(0, (m + pointsPerTask - 1) / pointsPerTask, parallel, block =>
        {
            var sgd = new UmapSgd(graph, schedule, embedding, n, dims, (float)a0, (float)b0, 1f, skipSelf: false);
            int first = block * pointsPerTask, count = Math.Min(pointsPerTask, m - first);
            for (int epoch = 0; epoch < epochs; epoch++)
            {
                // umap-learn's transform starts at a quarter of the learning rate.
                float alpha = (float)(options.LearningRate / 4 * (1 - epoch / (double)epochs));
                sgd.Epoch(y, first, count, epoch, alpha, i => NnDescent.Mix(options.Seed, epoch, -1 - i));
            }
        });
        return y;
    }
}
