using HeadAtlas.Projection;

namespace HeadAtlas.Projection.Tests;

public class ExactRepulsionTests
{
    // The float SIMD O(n²) repulsion must match the double reference sums; n = 501 leaves a padded last vector.
    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void MatchesDoubleSums(int dims)
    {
        int n = 501;
        var rng = new Random(8);
        var y = new double[n * dims]; // [n, dims]
        for (int t = 0; t < y.Length; t++) y[t] = PcaTests.Gauss(rng) * 20 + (t % 7 == 0 ? 30 : 0);
        var (refRep, refZ) = TsneTests.ExactRepulsion(y, n, dims);
        var rep = new double[n * dims];
        double z = new ExactRepulsion(new ParallelOptions { MaxDegreeOfParallelism = 2 }, dims).Compute(y, n, rep);
        Assert.Equal(refZ, z, refZ * 1e-5);
        double err = 0, norm = 0;
        for (int t = 0; t < rep.Length; t++) { err += (rep[t] - refRep[t]) * (rep[t] - refRep[t]); norm += refRep[t] * refRep[t]; }
        Assert.True(Math.Sqrt(err / norm) < 1e-4, $"relative force error {Math.Sqrt(err / norm)}");
    }
}
