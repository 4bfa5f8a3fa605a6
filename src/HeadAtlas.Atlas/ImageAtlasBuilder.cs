using HeadAtlas.Models;
using HeadAtlas.Models.Vision;

namespace HeadAtlas.Atlas;

/// <summary>
/// Builds a run of a vision transformer over an image folder (docs/run-format.md, "Image runs"): one image is one
/// sequence ([CLS], then the patches row by row). The heads, projections and resuming are those of
/// <see cref="AtlasBuilder"/>; only the corpus files differ (sentences.arrow, tokens.arrow with image columns,
/// images.arrow).
/// </summary>
public static class ImageAtlasBuilder
{
    /// <summary>Longest side of a thumbnail in images.arrow (smaller model inputs are kept at their size).</summary>
    public const int ThumbnailMaxSide = 224;

    /// <summary>Both steps: the base, then every projection.</summary>
    public static RunManifest Build(ITransformerModel model, string imageFolder, string runDir, BuildSettings settings,
        bool overwrite = false, IBuildProgress? progress = null, CancellationToken cancel = default)
    {
        var manifest = BuildBase(model, imageFolder, runDir, settings, overwrite, progress, cancel);
        AtlasBuilder.CompleteProjections(runDir, settings.TsneParallelHeads, progress, cancel);
        return manifest;
    }

    /// <summary>As <see cref="AtlasBuilder.BuildBase"/>, for an image folder: an existing run with the same model,
    /// images (path and bytes) and settings is kept; nothing appears at RUN_DIR until the base is whole.</summary>
    public static RunManifest BuildBase(ITransformerModel model, string imageFolder, string runDir, BuildSettings settings,
        bool overwrite = false, IBuildProgress? progress = null, CancellationToken cancel = default)
    {
        CheckModel(model);
        AtlasBuilder.ValidateProjections(settings.Projections);
        var corpus = ImageCorpusReader.Read(imageFolder, cancel); // a bad image is reported before anything on disk is touched
        return BuildBase(model, corpus, runDir, settings, overwrite, progress, cancel);
    }

    /// <summary>As above, for a folder already read with <see cref="ImageCorpusReader.Read"/> (the CLI reads it
    /// before loading the model, so a bad image is reported first).</summary>
    public static RunManifest BuildBase(ITransformerModel model, ImageCorpus corpus, string runDir, BuildSettings settings,
        bool overwrite = false, IBuildProgress? progress = null, CancellationToken cancel = default)
    {
        progress ??= SilentProgress.Instance;
        var vision = CheckModel(model);
        AtlasBuilder.ValidateProjections(settings.Projections);
        return AtlasBuilder.PublishBase(model, ManifestCorpus.ImagesKind, corpus.Sha256, runDir, settings, overwrite,
            partial => WriteBase(vision, corpus, partial, settings, progress, cancel));
    }

    private static IImageModel CheckModel(ITransformerModel model) => model as IImageModel
        ?? throw new BuildInputException($"model '{model.Info.Name}' ({model.Info.Architecture}) reads text; --images needs a vision transformer (a ViT folder)");

    private static RunManifest WriteBase(IImageModel model, ImageCorpus corpus, string dir, BuildSettings settings,
        IBuildProgress progress, CancellationToken cancel)
    {
        var (rows, cols) = model.PatchGrid;
        int len = ImageRunWriter.TokensPerImage(rows, cols);
        var images = SelectImages(corpus, len, settings.MaxTokens, progress);
        var described = new ImageRow[images.Count];

        var acts = HeadActivations.Extract(model, Enumerable.Repeat(len, images.Count).ToList(), settings.BatchSize, (first, hooks) =>
        {
            var pixels = new List<HeadAtlas.Tensors.Tensor>(hooks.Count); // each [channel, height, width]
            for (int i = 0; i < hooks.Count; i++)
            {
                var image = images[first + i];
                var input = model.LoadImage(image.Path);
                if (input.Tokens.Length != len || input.Rgb.Length != input.Height * input.Width * 3)
                    throw new ModelException($"model '{model.Info.Name}' gave {input.Tokens.Length} tokens and {input.Rgb.Length} RGB bytes for '{image.Path}'; " +
                                             $"expected {len} tokens ({rows}×{cols} patches and [CLS]) and its {input.Width}×{input.Height} input image");
                var (png, tw, th) = ImageFiles.Thumbnail(input.Rgb, input.Width, input.Height, ThumbnailMaxSide);
                described[first + i] = new ImageRow(image, PatchAttributes.Of(input.Rgb, input.Width, input.Height, rows, cols), png, tw, th);
                pixels.Add(input.Pixels);
            }
            model.ForwardImages(pixels, hooks);
        }, progress, cancel);

        ImageRunWriter.WriteSentences(Path.Combine(dir, "sentences.arrow"), described, rows, cols);
        ImageRunWriter.WriteTokens(Path.Combine(dir, "tokens.arrow"), described, rows, cols);
        ImageRunWriter.WriteImages(Path.Combine(dir, "images.arrow"), described);

        var manifestCorpus = new ManifestCorpus
        {
            Kind = ManifestCorpus.ImagesKind, Source = corpus.Source, Sha256 = corpus.Sha256,
            Sentences = images.Count, Tokens = acts.N, TruncatedSentences = 0,
        };
        return AtlasBuilder.WriteHeads(model, acts, manifestCorpus, dir, settings, progress, cancel);
    }

    /// <summary>The images, in order, while they stay within <paramref name="maxTokens"/> (0: all).</summary>
    private static IReadOnlyList<CorpusImage> SelectImages(ImageCorpus corpus, int tokensPerImage, int maxTokens, IBuildProgress progress)
    {
        if (maxTokens <= 0 || (long)corpus.Images.Count * tokensPerImage <= maxTokens) return corpus.Images;
        int keep = maxTokens / tokensPerImage;
        if (keep == 0)
            throw new CorpusInputException($"--max-tokens {maxTokens} leaves no image of '{corpus.Source}': one image alone has {tokensPerImage} tokens");
        progress.Warn($"--max-tokens {maxTokens}: kept the first {keep} of {corpus.Images.Count} images ({keep * tokensPerImage} tokens); " +
                      $"the folder continues with '{corpus.Images[keep].RelativePath}'");
        return corpus.Images.Take(keep).ToList();
    }
}
