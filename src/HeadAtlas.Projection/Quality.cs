namespace HeadAtlas.Projection;

/// <summary>Quality measures of an embedding (brute force, O(n²): tests and small checks).</summary>
public static class Quality
{
    /// <summary>
    /// Trustworthiness (Venna and Kaski 2001), as scikit-learn defines it: 1 − 2/(n·k·(2n − 3k − 1)) · Σᵢ Σ over the
    /// embedding's k nearest neighbours j of i that are not among i's k nearest in the input, of (rank of j in the input − k).
    /// </summary>
    public static double Trustworthiness(float[] x, int n, int d, float[] y, int dims, int k)
    {
        double penalty = 0;
        var inputDist = new double[n];
        var order = new int[n];
        var rank = new int[n];
        var outDist = new double[n];
        var outOrder = new int[n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double s = 0, t = 0;
                for (int a = 0; a < d; a++) { double diff = x[i * d + a] - x[j * d + a]; s += diff * diff; }
                for (int a = 0; a < dims; a++) { double diff = y[i * dims + a] - y[j * dims + a]; t += diff * diff; }
                inputDist[j] = j == i ? -1 : s; outDist[j] = j == i ? -1 : t;
                order[j] = j; outOrder[j] = j;
            }
            Array.Sort((double[])inputDist.Clone(), order);
            Array.Sort((double[])outDist.Clone(), outOrder);
            for (int r = 0; r < n; r++) rank[order[r]] = r; // self at rank 0, nearest neighbour at rank 1
            for (int r = 1; r <= k; r++)
            {
                int j = outOrder[r];
                if (rank[j] > k) penalty += rank[j] - k;
            }
        }
        return 1 - 2.0 / (n * (double)k * (2.0 * n - 3.0 * k - 1)) * penalty;
    }
}
