using HeadAtlas.Projection;

namespace HeadAtlas.Projection.Tests;

public class SelectionTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(10, 3)]
    [InlineData(17, 16)]
    [InlineData(180, 90)]
    [InlineData(1000, 1)]
    [InlineData(1000, 999)]
    [InlineData(5000, 2500)]
    public void FirstKAreTheKSmallest(int length, int k)
    {
        var rng = new Random(length * 31 + k);
        // Few distinct high halves (many ties there), distinct low halves: like (distance, index) keys.
        var keys = Enumerable.Range(0, length).Select(i => (ulong)rng.Next(20) << 32 | (uint)i).ToArray();
        var sorted = keys.OrderBy(v => v).ToArray();
        Selection.Smallest(keys, k);
        Assert.Equal(sorted.Take(k), keys.Take(k).OrderBy(v => v));
        Assert.Equal(sorted.Skip(k), keys.Skip(k).OrderBy(v => v));
    }

    [Fact]
    public void LocalityOrderIsAPermutationThatKeepsNeighboursClose()
    {
        // Two far clusters, interleaved in the input: the order must put each cluster in one contiguous half.
        int n = 1000, d = 8;
        var (data, labels) = TsneTests.Clusters(n, d, 2, 50, 3);
        var order = LocalityOrder.Compute(data, n, d);
        Assert.Equal(Enumerable.Range(0, n), order.OrderBy(i => i));
        int switches = 0;
        for (int p = 1; p < n; p++) if (labels[order[p]] != labels[order[p - 1]]) switches++;
        Assert.Equal(1, switches);
    }
}
