namespace HeadAtlas.Projection;

/// <summary>
/// Out-of-sample t-SNE (in the spirit of openTSNE's partial embeddings): each new point gets conditional affinities
/// pⱼ|ᵢ to its 3·perplexity nearest reference points (perplexity-calibrated), starts at their p-weighted mean position,
/// and then minimizes its own KL(p·|ᵢ ‖ q·|ᵢ), with qⱼ|ᵢ ∝ 1/(1 + ‖yᵢ − yⱼ‖²) over all reference points, by gradient
/// descent with backtracking. The reference embedding stays fixed; new points do not affect each other.
/// Exact repulsion: O(n) per point and step, meant for a few hundred new points.
/// </summary>
public static class TsnePlacement
{
    /// <param name="reference">The data the embedding was made from, [n, d].</param>
    /// <param name="embedding">Its embedding, [n, dims].</param>
    /// <param name="points">New points, [m, d].</param>
    /// <returns>Positions of the new points, [m, dims].</returns>
    public static float[] Place(float[] reference, int n, int d, float[] embedding, int dims, ReadOnlySpan<float> points, int m,
        double perplexity = 5, int iterations = 100, int threads = 0)
    {
        if (embedding.Length != (long)n * dims) throw new ArgumentException($"embedding must be [{n}, {dims}]");
        if (!(perplexity >= 1) || perplexity >= n) throw new ArgumentException($"perplexity {perplexity} is out of range for {n} reference points");
        if (m == 0) return [];
        int k = Math.Min(n, (int)Math.Floor(3 * perplexity));
        var (indices, distances) = ReferenceNeighbours.Find(reference, n, d, points, m, k, threads);
        var result = new float[m * dims]; // [m, dims]
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount };
        Parallel.For(0, m, parallel, i =>
        {
            var sq = new double[k];
            for (int s = 0; s < k; s++) sq[s] = (double)distances[i * k + s] * distances[i * k + s];
            var p = new double[k];
            TsneAffinities.Calibrate(sq, perplexity, p);
            var nb = indices.AsSpan(i * k, k).ToArray();

            var y = new double[dims];
            for (int s = 0; s < k; s++)
                for (int a = 0; a < dims; a++) y[a] += p[s] * embedding[nb[s] * dims + a];
            var grad = new double[dims];
            var trial = new double[dims];
            double f = Objective(y, embedding, n, dims, nb, p, grad);
            double step = 1;
            for (int iter = 0; iter < iterations; iter++)
            {
                double gnorm = Math.Sqrt(grad.Sum(g => g * g));
                if (gnorm < 1e-9) break;
                bool moved = false;
                for (int tries = 0; tries < 30; tries++)
                {
                    for (int a = 0; a < dims; a++) trial[a] = y[a] - step * grad[a];
                    var trialGrad = new double[dims];
                    double ft = Objective(trial, embedding, n, dims, nb, p, trialGrad);
                    if (ft <= f - 1e-4 * step * gnorm * gnorm) // Armijo
                    {
                        Array.Copy(trial, y, dims); Array.Copy(trialGrad, grad, dims); f = ft;
                        step *= 1.5; moved = true;
                        break;
                    }
                    step *= 0.5;
                }
                if (!moved) break;
            }
            for (int a = 0; a < dims; a++) result[i * dims + a] = (float)y[a];
        });
        return result;
    }

    /// <summary>KL(p‖q) up to a constant: −Σⱼ pⱼ log uⱼ + log Σₗ uₗ with u = 1/(1 + ‖y − yⱼ‖²); writes its gradient.</summary>
    private static double Objective(double[] y, float[] embedding, int n, int dims, int[] nb, double[] p, double[] grad)
    {
        Array.Clear(grad);
        double z = 0;
        Span<double> rep = stackalloc double[dims];
        rep.Clear();
        for (int l = 0; l < n; l++)
        {
            double r2 = 0;
            for (int a = 0; a < dims; a++) { double diff = y[a] - embedding[l * dims + a]; r2 += diff * diff; }
            double u = 1 / (1 + r2);
            z += u;
            for (int a = 0; a < dims; a++) rep[a] += u * u * (y[a] - embedding[l * dims + a]);
        }
        double f = Math.Log(z);
        for (int s = 0; s < nb.Length; s++)
        {
            int j = nb[s];
            double r2 = 0;
            for (int a = 0; a < dims; a++) { double diff = y[a] - embedding[j * dims + a]; r2 += diff * diff; }
            double u = 1 / (1 + r2);
            f -= p[s] * Math.Log(u);
            for (int a = 0; a < dims; a++) grad[a] += 2 * p[s] * u * (y[a] - embedding[j * dims + a]);
        }
        for (int a = 0; a < dims; a++) grad[a] -= 2 * rep[a] / z;
        return f;
    }
}
