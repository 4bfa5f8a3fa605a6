using HeadAtlas.Projection;

namespace HeadAtlas.Projection.Tests;

/// <summary>What the attraction tests of 2D and 3D share: a double-precision reference sum, random positions, a
/// kNN-built P and the error measure.</summary>
internal static class AttractionReference
{
    public static readonly ParallelOptions OneThread = new() { MaxDegreeOfParallelism = 1 };

    /// <summary>Σⱼ pᵢⱼ (yᵢ − yⱼ)/(1+‖yᵢ−yⱼ‖²) in double over every stored entry, and per component the sum of the
    /// terms' magnitudes (the scale float rounding errors grow with). y, result and scale: [n, dims].</summary>
    public static (double[] Sum, double[] Scale) Reference(SparseAffinities p, double[] y, int dims)
    {
        var sum = new double[dims * p.N]; var scale = new double[dims * p.N];
        var d = new double[dims];
        for (int i = 0; i < p.N; i++)
            for (int e = p.RowStart[i]; e < p.RowStart[i + 1]; e++)
            {
                int j = p.Columns[e];
                double r2 = 0;
                for (int a = 0; a < dims; a++) { d[a] = y[dims * i + a] - y[dims * j + a]; r2 += d[a] * d[a]; }
                double w = p.Values[e] / (1 + r2);
                for (int a = 0; a < dims; a++) { sum[dims * i + a] += w * d[a]; scale[dims * i + a] += Math.Abs(w * d[a]); }
            }
        return (sum, scale);
    }

    /// <summary>[n, dims] Gaussian positions.</summary>
    public static double[] RandomPositions(int n, int dims, double spread, int seed)
    {
        var rng = new Random(seed);
        var y = new double[dims * n];
        for (int t = 0; t < y.Length; t++) y[t] = PcaTests.Gauss(rng) * spread;
        return y;
    }

    /// <summary>P of perplexity 30 over the exact kNN graph of n clustered points in 10 dimensions.</summary>
    public static SparseAffinities KnnAffinities(int n, int seed)
    {
        var (data, _) = TsneTests.Clusters(n, 10, 6, 4, seed);
        int k = Tsne.NeighboursNeeded(n, 30);
        return TsneAffinities.FromKnn(KnnGraph.Exact(data, n, 10, k), 30);
    }

    /// <summary>Largest |computed − reference| per component, relative to the component's Σ|terms|.</summary>
    public static double WorstError(double[] attr, double[] reference, double[] scale)
    {
        double worst = 0;
        for (int t = 0; t < attr.Length; t++)
            if (scale[t] > 0) worst = Math.Max(worst, Math.Abs(attr[t] - reference[t]) / scale[t]);
            else Assert.Equal(0.0, attr[t]);
        return worst;
    }
}
