using HeadAtlas.Projection;

namespace HeadAtlas.Projection.Tests;

public class FaithfulnessTests
{
    [Fact]
    public void SpearmanMatchesHandComputedValues()
    {
        Assert.Equal(1.0, Faithfulness.Spearman([1, 2, 3, 4], [10, 20, 35, 100]), 12);
        Assert.Equal(-1.0, Faithfulness.Spearman([1, 2, 3, 4], [4, 3, 2, 1]), 12);
        // Ranks (1, 2.5, 2.5, 4) and (1, 2, 3, 4): ρ = 4.5 / sqrt(4.5 · 5) = 0.9486833 (scipy.stats.spearmanr gives the same).
        Assert.Equal(0.9486832980505138, Faithfulness.Spearman([1, 2, 2, 3], [1, 2, 3, 4]), 12);
        Assert.True(double.IsNaN(Faithfulness.Spearman([1, 1, 1], [1, 2, 3])));
    }

    /// <summary>Two sentences of four tokens, queries and keys on a line: key p of a sentence sits at x = p, query t at
    /// x = its own position (slightly off the line); attention decays with |query position − key position| (a "look at yourself" head) in
    /// sentence 0 and grows with it in sentence 1.</summary>
    [Fact]
    public void KnownCaseGivesPlusOneAndMinusOne()
    {
        int n = 8, dims = 2;
        var coords = new float[2 * n * dims]; // [16, 2]
        var sentenceStart = new int[n];
        for (int t = 0; t < n; t++)
        {
            int pos = t % 4;
            sentenceStart[t] = t / 4 * 4;
            coords[t * dims] = pos; coords[t * dims + 1] = 0.3f; // query t, just above its own key
            coords[(n + t) * dims] = pos;                                // key t
        }
        var offsets = Enumerable.Range(0, n + 1).Select(t => 4 * t).ToArray();
        var weights = new float[4 * n];
        for (int t = 0; t < n; t++)
            for (int p = 0; p < 4; p++)
            {
                int gap = Math.Abs(t % 4 - p);
                weights[4 * t + p] = t < 4 ? 1f / (1 + gap) : gap; // unnormalized is fine: only ranks matter
            }
        double all = Faithfulness.MeanSpearman(coords, n, dims, weights, offsets, sentenceStart, causal: false);
        Assert.Equal(0.0, all, 12); // four queries at +1, four at −1
        var firstOnly = weights.ToArray();
        for (int t = 4; t < n; t++) for (int p = 0; p < 4; p++) firstOnly[4 * t + p] = 1f / (1 + Math.Abs(t % 4 - p));
        Assert.Equal(1.0, Faithfulness.MeanSpearman(coords, n, dims, firstOnly, offsets, sentenceStart, causal: false), 12);
        // Causal: only queries at positions 2 and 3 have ≥ 3 visible keys; they are still perfectly ranked.
        Assert.Equal(1.0, Faithfulness.MeanSpearman(coords, n, dims, firstOnly, offsets, sentenceStart, causal: true), 12);
    }
}
