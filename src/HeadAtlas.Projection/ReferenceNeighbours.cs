namespace HeadAtlas.Projection;

/// <summary>The k nearest reference points of each query point (euclidean, brute force; for placing a few new points).</summary>
public static class ReferenceNeighbours
{
    /// <summary>Returns indices into the reference [m, k] and distances [m, k], nearest first (ties by lower index).</summary>
    public static (int[] Indices, float[] Distances) Find(float[] reference, int n, int d, ReadOnlySpan<float> queries, int m, int k, int threads = 0)
    {
        if (reference.Length != (long)n * d) throw new ArgumentException($"reference must be [{n}, {d}]");
        if (queries.Length != (long)m * d) throw new ArgumentException($"queries must be [{m}, {d}] (got {queries.Length} values)");
        if (k < 1 || k > n) throw new ArgumentException($"k must be in 1..{n} (got {k})");
        var q = queries.ToArray(); // [m, d]
        var indices = new int[m * k];
        var distances = new float[m * k];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount };
        Parallel.For(0, m, parallel, i =>
        {
            var all = new (float Dist, int Index)[n];
            var qi = q.AsSpan(i * d, d);
            for (int j = 0; j < n; j++)
                all[j] = (System.Numerics.Tensors.TensorPrimitives.Distance(qi, reference.AsSpan(j * d, d)), j);
            Array.Sort(all, (a, b) => a.Dist != b.Dist ? a.Dist.CompareTo(b.Dist) : a.Index.CompareTo(b.Index));
            for (int s = 0; s < k; s++) { indices[i * k + s] = all[s].Index; distances[i * k + s] = all[s].Dist; }
        });
        return (indices, distances);
    }
}
