using HeadAtlas.Projection;

namespace HeadAtlas.Projection.Tests;

public class TsneAttractionTests
{
    // The SIMD float attraction must match a plain double sum Σⱼ pᵢⱼ (yᵢ − yⱼ)/(1+‖yᵢ−yⱼ‖²), including rows shorter
    // than one vector and rows whose length is not a multiple of eight (the scalar tail).
    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void MatchesDoubleReference(int dims)
    {
        int n = 600, d = 5;
        var (data, _) = TsneTests.Clusters(n, d, 4, 6, seed: 11);
        var graph = KnnGraph.Exact(data, n, d, 13);
        var p = TsneAffinities.FromKnn(graph, 4);
        var rng = new Random(3);
        var y = new double[n * dims]; // [n, dims]
        for (int t = 0; t < y.Length; t++) y[t] = PcaTests.Gauss(rng) * 10;

        var expected = new double[n * dims];
        for (int i = 0; i < n; i++)
            for (int e = p.RowStart[i]; e < p.RowStart[i + 1]; e++)
            {
                int j = p.Columns[e];
                double r2 = 0;
                for (int a = 0; a < dims; a++) r2 += (y[i * dims + a] - y[j * dims + a]) * (y[i * dims + a] - y[j * dims + a]);
                double w = p.Values[e] / (1 + r2);
                for (int a = 0; a < dims; a++) expected[i * dims + a] += w * (y[i * dims + a] - y[j * dims + a]);
            }

        var attr = new double[n * dims];
        new TsneAttraction(p, dims).Compute(y, attr, new ParallelOptions { MaxDegreeOfParallelism = 2 });
        double err = 0, norm = 0, maxRow = 0;
        for (int t = 0; t < attr.Length; t++) { err += (attr[t] - expected[t]) * (attr[t] - expected[t]); norm += expected[t] * expected[t]; }
        for (int i = 0; i < n; i++) maxRow = Math.Max(maxRow, p.RowStart[i + 1] - p.RowStart[i]);
        Assert.True(maxRow > 8, "rows must be long enough to use the vector path");
        Assert.True(Math.Sqrt(err / norm) < 1e-5, $"relative error {Math.Sqrt(err / norm)}");
    }
}
