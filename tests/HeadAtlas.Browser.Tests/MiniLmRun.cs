using HeadAtlas.Atlas;
using HeadAtlas.Models;

namespace HeadAtlas.Browser.Tests;

/// <summary>
/// A real small run: the built-in MiniLM (6 layers × 12 heads) on ten short sentences, built by the real pipeline
/// (AtlasBuilder: forward pass, q/k, attention, PCA in 2D and 3D). t-SNE is listed in the manifest but not computed here, so the
/// explorer must show it as not ready.
/// </summary>
public static class MiniLmRun
{
    public static readonly string[] Sentences =
    [
        "The cat sat on the warm mat.",
        "A small boat drifted toward the harbor at dawn.",
        "She wrote three letters before the rain stopped.",
        "Our garden grows tomatoes, beans and tall sunflowers.",
        "The old clock in the hall struck nine.",
        "He forgot his keys again this morning.",
        "Bright lanterns hung along the narrow street.",
        "The river froze early that winter.",
        "Two students argued about the final answer.",
        "Fresh bread cooled slowly on the kitchen table.",
    ];

    /// <summary>Builds the run into a new folder under <paramref name="parent"/> and returns its path.</summary>
    public static string Build(string parent)
    {
        Directory.CreateDirectory(parent);
        var corpus = Path.Combine(parent, "corpus.txt");
        File.WriteAllLines(corpus, Sentences);
        var run = Path.Combine(parent, "run");
        AtlasBuilder.BuildBase(BuiltinModels.Load(BuiltinModels.MiniLm), corpus, run,
            new BuildSettings { Projections = ["pca2d", "pca3d", "tsne2d"] });
        return run;
    }
}
