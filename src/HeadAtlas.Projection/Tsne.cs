namespace HeadAtlas.Projection;

/// <summary>Options for <see cref="Tsne"/>.</summary>
public sealed record TsneOptions
{
    public int Dims { get; init; } = 2;
    public double Perplexity { get; init; } = 30;
    public int Iterations { get; init; } = 750;
    public int Seed { get; init; } = 0;
    /// <summary>Threads to use; 0 = all cores.</summary>
    public int Threads { get; init; } = 0;
}

/// <summary>t-SNE of row-major [n, d] float data (euclidean input distances).
/// PLACEHOLDER: signature fixed, implementation pending.</summary>
public static class Tsne
{
    /// <summary>Returns the embedding [n, Dims]. <paramref name="progress"/> receives the iteration number.</summary>
    public static float[] Embed(ReadOnlySpan<float> data, int n, int d, TsneOptions options, IProgress<int>? progress = null, CancellationToken cancel = default) =>
        throw new NotImplementedException("t-SNE is not implemented yet");
}
