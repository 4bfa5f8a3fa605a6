using MathNet.Numerics.LinearAlgebra;

namespace HeadAtlas.Projection;

/// <summary>
/// A fitted PCA: the column means and the top principal axes of the training data, so that new points can be
/// projected onto the same axes later (<see cref="Transform"/>).
/// Exact: the covariance is accumulated in double and diagonalized by MathNet's symmetric eigendecomposition.
/// Sign convention (deterministic): each axis is flipped so that its largest-magnitude loading is positive.
/// </summary>
public sealed class PcaModel
{
    /// <summary>Column means of the training data. [d]</summary>
    public double[] Mean { get; }
    /// <summary>Principal axes, one unit-length row per component, by decreasing variance. [dims, d]</summary>
    public double[] Components { get; }
    /// <summary>Variance of the training data along each axis (eigenvalues of the covariance, divisor n − 1). [dims]</summary>
    public double[] ExplainedVariance { get; }
    public int InputDims { get; }
    public int Dims { get; }

    private PcaModel(double[] mean, double[] components, double[] variance, int d, int dims)
    {
        Mean = mean; Components = components; ExplainedVariance = variance; InputDims = d; Dims = dims;
    }

    /// <summary>Fits the top <paramref name="dims"/> axes of row-major data [n, d]; <paramref name="threads"/> 0 = all cores.</summary>
    public static PcaModel Fit(ReadOnlySpan<float> data, int n, int d, int dims, int threads = 0)
    {
        if (n < 1 || d < 1) throw new ArgumentException($"PCA needs at least one point and one column (got n={n}, d={d})");
        if (data.Length != (long)n * d) throw new ArgumentException($"data has {data.Length} values, expected n·d = {n}·{d}");
        if (dims < 1 || dims > d) throw new ArgumentException($"dims must be in 1..{d} (got {dims})");

        var mean = new double[d];
        for (int i = 0; i < n; i++)
        {
            var row = data.Slice(i * d, d);
            for (int j = 0; j < d; j++) mean[j] += row[j];
        }
        for (int j = 0; j < d; j++) mean[j] /= n;

        var cov = Covariance(data, n, d, mean, threads); // [d, d], full symmetric
        var evd = Matrix<double>.Build.DenseOfColumnMajor(d, d, cov).Evd(Symmetricity.Symmetric);
        // MathNet returns eigenvalues in ascending order for symmetric matrices; sort explicitly to be safe.
        var values = evd.EigenValues.Select(v => v.Real).ToArray();
        var order = Enumerable.Range(0, d).OrderByDescending(i => values[i]).ThenBy(i => i).ToArray();

        var components = new double[dims * d]; // [dims, d]
        var variance = new double[dims];
        for (int c = 0; c < dims; c++)
        {
            var v = evd.EigenVectors.Column(order[c]);
            int argMax = 0;
            for (int j = 1; j < d; j++) if (Math.Abs(v[j]) > Math.Abs(v[argMax])) argMax = j;
            double sign = v[argMax] < 0 ? -1 : 1;
            for (int j = 0; j < d; j++) components[c * d + j] = sign * v[j];
            variance[c] = Math.Max(0, values[order[c]]);
        }
        return new PcaModel(mean, components, variance, d, dims);
    }

    /// <summary>Projects row-major [n, d] onto the fitted axes: returns [n, Dims], centered by the training mean.</summary>
    public float[] Transform(ReadOnlySpan<float> data, int n) => Transform(data, n, Dims);

    /// <summary>Projects row-major [n, d] onto the first <paramref name="dims"/> fitted axes (a 3D fit also gives the
    /// 2D projection: its first two axes are the 2D fit's): returns [n, dims].</summary>
    public float[] Transform(ReadOnlySpan<float> data, int n, int dims)
    {
        int d = InputDims;
        if (data.Length != (long)n * d) throw new ArgumentException($"data has {data.Length} values, expected n·d = {n}·{d}");
        if (dims < 1 || dims > Dims) throw new ArgumentException($"dims must be in 1..{Dims} (got {dims})");
        var result = new float[n * dims]; // [n, dims]
        var centered = new double[d];
        for (int i = 0; i < n; i++)
        {
            var row = data.Slice(i * d, d);
            for (int j = 0; j < d; j++) centered[j] = row[j] - Mean[j];
            for (int c = 0; c < dims; c++)
            {
                double s = 0;
                for (int j = 0; j < d; j++) s += centered[j] * Components[c * d + j];
                result[i * dims + c] = (float)s;
            }
        }
        return result;
    }

    /// <summary>Sample covariance (divisor n − 1) of [n, d] around <paramref name="mean"/>, in double. Returns [d, d].
    /// Rows are summed in fixed chunks whose partial sums are added in chunk order, so the result does not
    /// depend on thread scheduling.</summary>
    private static double[] Covariance(ReadOnlySpan<float> data, int n, int d, double[] mean, int threads)
    {
        const int chunk = 2048;
        int chunks = (n + chunk - 1) / chunk;
        var partial = new double[chunks][];
        var copy = data.ToArray(); // lambdas cannot capture spans
        var options = new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount };
        Parallel.For(0, chunks, options, c =>
        {
            var acc = new double[d * d]; // [d, d], upper triangle filled
            var x = new double[d];
            int end = Math.Min(n, (c + 1) * chunk);
            for (int i = c * chunk; i < end; i++)
            {
                for (int j = 0; j < d; j++) x[j] = copy[i * d + j] - mean[j];
                for (int a = 0; a < d; a++)
                {
                    double xa = x[a];
                    int rowOffset = a * d;
                    for (int b = a; b < d; b++) acc[rowOffset + b] += xa * x[b];
                }
            }
            partial[c] = acc;
        });
        var cov = new double[d * d];
        foreach (var acc in partial)
            for (int t = 0; t < cov.Length; t++) cov[t] += acc[t];
        double divisor = Math.Max(1, n - 1);
        for (int a = 0; a < d; a++)
            for (int b = a; b < d; b++)
            {
                double v = cov[a * d + b] / divisor;
                cov[a * d + b] = v;
                cov[b * d + a] = v;
            }
        return cov;
    }
}
