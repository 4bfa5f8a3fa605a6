using HeadAtlas.Projection;

namespace HeadAtlas.Atlas;

/// <summary>What a build computes. Everything here (with the model and the corpus bytes) decides the run's
/// content; a run is resumed only when they all match.</summary>
public sealed record BuildSettings
{
    public int Seed { get; init; } = 0;
    /// <summary>Keep sentences (in corpus order) while the corpus stays within this many tokens; 0 = no limit.</summary>
    public int MaxTokens { get; init; } = 0;
    public bool KeyTranslation { get; init; } = true;
    public bool ScaleMatching { get; init; } = true;
    public Metric Metric { get; init; } = Metric.Cosine;
    public double Perplexity { get; init; } = 30;
    /// <summary>UMAP n_neighbors (counting the point itself) and min_dist.</summary>
    public int UmapNeighbors { get; init; } = 15;
    public double UmapMinDist { get; init; } = 0.1;
    /// <summary>Projections written for every head, named {method}{dims}d; PCA ones are part of the base. The default
    /// is all six (bench/atlas/README.md has the whole demo atlas's time).</summary>
    public IReadOnlyList<string> Projections { get; init; } = ["pca2d", "pca3d", "tsne2d", "tsne3d", "umap2d", "umap3d"];

    // Execution knobs: they change speed, not results, so they are not part of the manifest.
    /// <summary>Sequences per Forward call.</summary>
    public int BatchSize { get; init; } = 32;
    /// <summary>t-SNE iterations (fewer only in tests).</summary>
    public int TsneIterations { get; init; } = 750;
    /// <summary>Heads embedded at once (t-SNE and UMAP); each gets <see cref="Environment.ProcessorCount"/> / this many
    /// threads. Default: one head per core, which needs no synchronization within a head (bench/atlas/README.md);
    /// above <see cref="HeadProjections.OneHeadAbovePoints"/> points per head one head at a time, for memory.</summary>
    public int TsneParallelHeads { get; init; } = Environment.ProcessorCount;
}
