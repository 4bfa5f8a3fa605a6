using HeadAtlas.Atlas;
using HeadAtlas.Models;

namespace HeadAtlas.Browser.Tests;

/// <summary>
/// A real image run: the tiny ViT fixture (tests/fixtures/vit: 2 layers × 4 heads, 16 × 16 input, 4 × 4 patches of
/// 4 px, so 17 tokens per image: [CLS], then the patches row by row) over <see cref="TestImages"/>, built by the real
/// pipeline (ImageAtlasBuilder: forward pass, q/k, attention, patch colours, thumbnails, PCA with faithfulness).
/// t-SNE is planned but not computed.
/// </summary>
public static class ImageRun
{
    public const int Layers = 2, Heads = 4, Rows = 4, Cols = 4;
    public const int Tokens = 1 + Rows * Cols;

    /// <summary>Writes the images to PARENT/images and builds the run in PARENT/run; returns the run folder.</summary>
    public static string Build(string parent)
    {
        var folder = Path.Combine(parent, "images");
        TestImages.Write(folder);
        var run = Path.Combine(parent, "run");
        ImageAtlasBuilder.BuildBase(ModelLoader.Load(VitFolder()), folder, run, new BuildSettings { Projections = ["pca2d", "tsne2d"] });
        return run;
    }

    private static string VitFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "fixtures", "vit");
            if (File.Exists(Path.Combine(candidate, "config.json"))) return candidate;
        }
        throw new DirectoryNotFoundException("tests/fixtures/vit not found above " + AppContext.BaseDirectory);
    }
}
