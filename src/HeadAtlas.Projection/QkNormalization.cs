namespace HeadAtlas.Projection;

public enum Metric { Cosine, Euclidean }

/// <summary>
/// Turns one head's queries and keys into the points of its joint embedding.
/// Key translation k' = k − mean(K) + mean(Q) shifts every query's scores by a constant across keys, so every
/// softmax row is unchanged; scale matching (q·s, k'/s) leaves every dot product unchanged. Both only move
/// the two clouds onto each other so that a query lands near the keys it attends to.
/// </summary>
public static class QkNormalization
{
    /// <summary>
    /// q, k: [n, dHead] row-major. Returns [2n, dHead]: rows 0..n−1 the normalized queries, n..2n−1 the keys.
    /// With <see cref="Metric.Cosine"/> each row is finally scaled to unit length (euclidean distance between
    /// unit vectors is a monotone function of cosine distance, so every method can then work in euclidean).
    /// </summary>
    public static float[] JointPoints(ReadOnlySpan<float> q, ReadOnlySpan<float> k, int n, int dHead, bool keyTranslation, bool scaleMatching, Metric metric)
    {
        if (q.Length != n * dHead || k.Length != n * dHead) throw new ArgumentException($"q and k must both be [{n}, {dHead}]");
        var points = new float[2 * n * dHead];
        q.CopyTo(points);
        k.CopyTo(points.AsSpan(n * dHead));
        var queries = points.AsSpan(0, n * dHead);
        var keys = points.AsSpan(n * dHead);

        if (keyTranslation)
        {
            var meanQ = ColumnMeans(queries, n, dHead);
            var meanK = ColumnMeans(keys, n, dHead);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < dHead; j++) keys[i * dHead + j] += (float)(meanQ[j] - meanK[j]);
        }
        if (scaleMatching)
        {
            double meanNormQ = MeanRowNorm(queries, n, dHead), meanNormK = MeanRowNorm(keys, n, dHead);
            if (meanNormQ > 0 && meanNormK > 0)
            {
                float s = (float)Math.Sqrt(meanNormK / meanNormQ);
                for (int i = 0; i < queries.Length; i++) queries[i] *= s;
                for (int i = 0; i < keys.Length; i++) keys[i] /= s;
            }
        }
        if (metric == Metric.Cosine)
        {
            for (int r = 0; r < 2 * n; r++)
            {
                var row = points.AsSpan(r * dHead, dHead);
                double norm = Math.Sqrt(System.Numerics.Tensors.TensorPrimitives.SumOfSquares<float>(row));
                if (norm > 0) System.Numerics.Tensors.TensorPrimitives.Multiply(row, (float)(1 / norm), row);
            }
        }
        return points;
    }

    private static double[] ColumnMeans(ReadOnlySpan<float> x, int n, int d)
    {
        var mean = new double[d];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++) mean[j] += x[i * d + j];
        for (int j = 0; j < d; j++) mean[j] /= n;
        return mean;
    }

    private static double MeanRowNorm(ReadOnlySpan<float> x, int n, int d)
    {
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            double s = 0;
            for (int j = 0; j < d; j++) s += (double)x[i * d + j] * x[i * d + j];
            sum += Math.Sqrt(s);
        }
        return sum / n;
    }
}
