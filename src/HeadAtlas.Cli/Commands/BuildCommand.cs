using System.CommandLine;
using System.Diagnostics;
using HeadAtlas.Atlas;
using HeadAtlas.Models;
using HeadAtlas.Projection;

namespace HeadAtlas.Cli.Commands;

/// <summary>
/// <c>headatlas build --model minilm --corpus FILE --out RUN_DIR</c>: runs the model over a corpus and writes a run
/// folder (docs/run-format.md); <c>build --model VIT_FOLDER --images FOLDER --out RUN_DIR</c> does the same for a
/// vision transformer over a folder of images. Rerunning resumes; Ctrl+C stops it with only whole files left behind.
/// </summary>
public static class BuildCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Built-in model (" + string.Join(", ", BuiltinModels.Names) + "), a Hugging Face folder or a BERT .onnx file (see `headatlas models`)", DefaultValueFactory = _ => BuiltinModels.MiniLm };
        var corpus = new Option<string>("--corpus") { Description = "Text file (one text per line), .jsonl (objects with a \"text\" field), or 'demo' for the Moby-Dick demo corpus" };
        var images = new Option<string>("--images") { Description = "Instead of --corpus, for a vision transformer (ViT folder): a folder of PNG/JPEG images (searched recursively)" };
        var output = new Option<string>("--out") { Description = "Run folder to write (RUN_DIR)", Required = true };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Keep sentences, in corpus order, while the corpus stays within N tokens (0: all)" };
        var seed = new Option<int>("--seed") { Description = "Seed of every random step (same seed, same run)" };
        var metric = new Option<string>("--metric") { Description = "Distance between query/key points", DefaultValueFactory = _ => "cosine" };
        metric.AcceptOnlyFromAmong("cosine", "euclidean");
        var noScale = new Option<bool>("--no-scale-matching") { Description = "Do not rescale queries and keys to the same mean norm" };
        var overwrite = new Option<bool>("--overwrite") { Description = "Rebuild RUN_DIR from scratch (needed when it holds a run built with other inputs); the old run stays until the new base is complete" };
        var parallelHeads = new Option<int>("--parallel-heads") { Description = "Heads embedded by t-SNE at once (cores are shared among them)", DefaultValueFactory = _ => new BuildSettings().TsneParallelHeads };

        var command = new Command("build", "Build a run: q, k and attention of every head over a corpus, with PCA and t-SNE of each head")
        {
            model, corpus, images, output, maxTokens, seed, metric, noScale, overwrite, parallelHeads,
        };
        command.SetAction(async (parse, invocationCancel) =>
        {
            // Ctrl+C cancels the build (the first press; a second one ends the process at once). Only whole files
            // are ever left behind, so a rerun resumes. (Program's synchronous Invoke gives us no cancellation.)
            using var interrupt = new Interrupt(invocationCancel);
            var cancel = interrupt.Token;
            try
            {
                if (parse.GetValue(maxTokens) < 0) throw new BuildInputException("--max-tokens must be 0 (no limit) or more");
                var settings = new BuildSettings
                {
                    Seed = parse.GetValue(seed),
                    MaxTokens = parse.GetValue(maxTokens),
                    Metric = parse.GetValue(metric) == "euclidean" ? Metric.Euclidean : Metric.Cosine,
                    ScaleMatching = !parse.GetValue(noScale),
                    TsneParallelHeads = Math.Max(1, parse.GetValue(parallelHeads)),
                };
                string? corpusPath = parse.GetValue(corpus), imageFolder = parse.GetValue(images);
                string runDir = parse.GetValue(output)!;
                if (corpusPath is null == imageFolder is null)
                    throw new BuildInputException(corpusPath is null
                        ? "give a corpus: --corpus FILE (text models) or --images FOLDER (vision transformers)"
                        : "give either --corpus FILE or --images FOLDER, not both");
                await Task.Run(() => Run(parse.GetValue(model)!, corpusPath, imageFolder, runDir, settings, parse.GetValue(overwrite), cancel), cancel);
                return 0;
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                Console.Error.WriteLine("interrupted: the files written so far are whole; run the same command again to resume");
                return 130;
            }
            catch (Exception e) when (UserErrors.IsUserError(e))
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    /// <summary>Exactly one of <paramref name="corpusPath"/> (a text corpus) and <paramref name="imageFolder"/> is given.</summary>
    private static void Run(string modelName, string? corpusPath, string? imageFolder, string runDir, BuildSettings settings, bool overwrite, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        // A bad corpus is reported before the model loads.
        var images = imageFolder is null ? null : ImageCorpusReader.Read(imageFolder, cancel);
        if (images is null && corpusPath != "demo") CorpusReader.Read(corpusPath!);
        Console.Error.WriteLine($"loading model {modelName}");
        using var model = ModelLoader.Load(modelName);
        Console.Error.WriteLine($"model loaded in {clock.Elapsed.TotalSeconds:F1} s");
        if (imageFolder is not null && model is not IImageModel)
            throw new BuildInputException($"--images needs a vision transformer (a ViT folder); model '{model.Info.Name}' ({model.Info.Architecture}) reads text: give it --corpus FILE");
        if (imageFolder is null && model is IImageModel)
            throw new BuildInputException($"model '{model.Info.Name}' is a vision transformer: give it --images FOLDER (a folder of PNG/JPEG images), not --corpus");
        if (corpusPath == "demo") corpusPath = DemoCorpus.EnsureFile(model);
        clock.Restart();
        var manifest = ConsoleProgress.Run(p => images is not null
            ? ImageAtlasBuilder.BuildBase(model, images, runDir, settings, overwrite, p, cancel)
            : AtlasBuilder.BuildBase(model, corpusPath!, runDir, settings, overwrite, p, cancel));
        double baseSeconds = clock.Elapsed.TotalSeconds;
        string sequences = manifest.Corpus.Kind == ManifestCorpus.ImagesKind ? "images" : "sentences";
        Console.Error.WriteLine($"base ready in {baseSeconds:F1} s: {manifest.Corpus.Sentences} {sequences}, {manifest.Corpus.Tokens} tokens, " +
                                $"{manifest.Heads.Count} heads -> {Path.GetFullPath(runDir)}");
        ConsoleProgress.Run(p => { AtlasBuilder.CompleteProjections(runDir, settings.TsneParallelHeads, p, cancel); return 0; });
        Console.Error.WriteLine($"all projections ready in {clock.Elapsed.TotalSeconds - baseSeconds:F1} s more ({clock.Elapsed.TotalSeconds:F1} s in all)");
    }
}
