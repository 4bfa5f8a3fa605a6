using HeadAtlas.Models;
using HeadAtlas.Projection;

namespace HeadAtlas.Atlas;

/// <summary>
/// Builds a run folder (docs/run-format.md) in two steps, so a caller can serve the run as soon as the first is done:
/// <see cref="BuildBase"/> (corpus, forward pass, q/k/attention and PCA of every head; the folder appears by rename
/// when complete) and <see cref="CompleteProjections"/> (the slow projections, one whole file at a time).
/// Both resume: rerunning skips what exists.
/// </summary>
public static class AtlasBuilder
{
    /// <summary>Both steps.</summary>
    public static RunManifest Build(ITransformerModel model, string corpusPath, string runDir, BuildSettings settings,
        bool overwrite = false, IBuildProgress? progress = null, CancellationToken cancel = default)
    {
        var manifest = BuildBase(model, corpusPath, runDir, settings, overwrite, progress, cancel);
        CompleteProjections(runDir, settings.TsneParallelHeads, progress, cancel);
        return manifest;
    }

    /// <summary>
    /// Makes sure RUN_DIR holds a complete base for this model, corpus and settings. An existing run with the same
    /// model, corpus bytes and settings is kept as it is; one with others is an error. <paramref name="overwrite"/>
    /// builds anew in any case and swaps the new run in when its base is whole. Nothing appears at RUN_DIR until
    /// the base is whole.
    /// </summary>
    public static RunManifest BuildBase(ITransformerModel model, string corpusPath, string runDir, BuildSettings settings,
        bool overwrite = false, IBuildProgress? progress = null, CancellationToken cancel = default)
    {
        progress ??= SilentProgress.Instance;
        if (model is IImageModel)
            throw new BuildInputException($"model '{model.Info.Name}' is a vision transformer: it reads images, not a text corpus; build it with --images FOLDER");
        ValidateProjections(settings.Projections);
        var corpus = CorpusReader.Read(corpusPath); // corpus errors come before anything on disk is touched
        return PublishBase(model, ManifestCorpus.TextKind, corpus.Sha256, runDir, settings, overwrite,
            partial => WriteBase(model, corpus, partial, settings, progress, cancel));
    }

    /// <summary>What text and image builds share around writing a base: resume an existing run with the same
    /// inputs, refuse one with others unless <paramref name="overwrite"/>, else write the base into a partial
    /// folder with <paramref name="writeBase"/> and rename it onto RUN_DIR when whole.</summary>
    internal static RunManifest PublishBase(ITransformerModel model, string corpusKind, string corpusSha256, string runDir,
        BuildSettings settings, bool overwrite, Func<string, RunManifest> writeBase)
    {
        runDir = RunFolder.Normalize(runDir);
        RunFolder.RemoveStale(runDir);

        if (Directory.Exists(runDir))
        {
            if (File.Exists(Path.Combine(runDir, RunReader.ManifestFile)))
            {
                var existing = RunReader.ReadManifest(runDir);
                var differences = Differences(existing, ModelOf(model), corpusKind, corpusSha256, settings);
                if (differences.Count == 0 && !overwrite) return existing;
                if (!overwrite)
                    throw new BuildInputException($"'{runDir}' holds a run built with other inputs ({string.Join("; ", differences)}); " +
                                                  "add --overwrite to rebuild it, or choose another --out");
            }
            else if (Directory.EnumerateFileSystemEntries(runDir).Any())
                throw new BuildInputException($"'{runDir}' exists and is not a HeadAtlas run (no {RunReader.ManifestFile}); choose another --out");
        }

        string partial = RunFolder.NewPartial(runDir);
        try
        {
            var manifest = writeBase(partial);
            RunFolder.Publish(partial, runDir);
            return manifest;
        }
        catch
        {
            RunFolder.TryDelete(partial);
            throw;
        }
    }

    /// <summary>Computes every projection of the manifest that has no file yet: PCA, then UMAP 2D of every head, then the
    /// rest head by head, all from one kNN graph per head (<see cref="HeadProjections"/>). Each file appears whole (temp
    /// name, then rename). Cancelling keeps the files already written.</summary>
    /// <param name="parallelHeads">Heads embedded at once; the cores are shared among them.</param>
    public static void CompleteProjections(string runDir, int parallelHeads = 1, IBuildProgress? progress = null, CancellationToken cancel = default) =>
        HeadProjections.Complete(runDir, parallelHeads, progress, cancel);

    private static RunManifest WriteBase(ITransformerModel model, CorpusFile corpus, string dir, BuildSettings settings,
        IBuildProgress progress, CancellationToken cancel)
    {
        var sentences = SelectSentences(model, corpus, settings.MaxTokens, progress, cancel);
        var acts = HeadActivations.Extract(model, sentences, settings.BatchSize, progress, cancel);

        var rows = new List<SentenceRow>(sentences.Count);
        int first = 0;
        for (int s = 0; s < sentences.Count; s++)
        {
            int len = sentences[s].Tokens.Ids.Length;
            rows.Add(new SentenceRow(s, sentences[s].Text, sentences[s].SourceLine, first, len, sentences[s].Split));
            first += len;
        }
        RunWriter.WriteSentences(Path.Combine(dir, "sentences.arrow"), rows);
        RunWriter.WriteTokens(Path.Combine(dir, "tokens.arrow"), sentences);

        var manifestCorpus = new ManifestCorpus
        {
            Kind = ManifestCorpus.TextKind, Source = corpus.Source, Sha256 = corpus.Sha256, Sentences = sentences.Count, Tokens = acts.N,
            TruncatedSentences = sentences.Where(s => s.Split).Select(s => s.SourceLine).Distinct().Count(),
        };
        return WriteHeads(model, acts, manifestCorpus, dir, settings, progress, cancel);
    }

    /// <summary>The part of a base that text and image runs share, written after sentences.arrow and tokens.arrow:
    /// every head's qk.arrow, attention.arrow and PCA projections, then manifest.json.</summary>
    internal static RunManifest WriteHeads(ITransformerModel model, HeadActivations acts, ManifestCorpus corpus, string dir,
        BuildSettings settings, IBuildProgress progress, CancellationToken cancel)
    {
        var info = model.Info;
        int n = acts.N;
        var heads = new List<ManifestHead>();
        for (int l = 0; l < info.Layers; l++)
            for (int h = 0; h < info.Heads; h++)
                heads.Add(new ManifestHead { Layer = l, Head = h, KvHead = HeadActivations.KvHeadOf(info, h), Dir = $"heads/L{l}_H{h}" });

        var metric = settings.Metric;
        var pcas = settings.Projections.Where(p => ParseProjection(p).Method == "pca").ToList();
        var stage = progress.Start("q, k, attention" + (pcas.Count > 0 ? " and PCA" : ""), heads.Count);
        int done = 0;
        Parallelism.ForEach(heads, Environment.ProcessorCount, cancel, head =>
        {
            string headDir = Path.Combine(dir, head.Dir);
            Directory.CreateDirectory(headDir);
            float[] q = acts.Queries(head.Layer, head.Head), k = acts.Keys(head.Layer, head.Head); // [N, dHead]
            RunWriter.WriteQk(Path.Combine(headDir, "qk.arrow"), q, k, n, info.DHead);
            RunWriter.WriteAttention(Path.Combine(headDir, "attention.arrow"), acts.Attention(head.Layer, head.Head), acts.AttentionOffsets, n);
            if (pcas.Count > 0)
            {
                var points = QkNormalization.JointPoints(q, k, n, info.DHead, settings.KeyTranslation, settings.ScaleMatching, metric); // [2N, dHead]
                WritePca(dir, headDir, points, n, info.DHead, pcas);
            }
            stage.Report(Interlocked.Increment(ref done));
        });
        stage.Complete();

        var manifest = new RunManifest
        {
            CreatedUtc = DateTime.UtcNow,
            Model = ModelOf(model),
            Corpus = corpus,
            Settings = SettingsOf(settings),
            Projections = settings.Projections.ToList(),
            Heads = heads,
        };
        RunWriter.WriteManifest(Path.Combine(dir, RunReader.ManifestFile), manifest);
        return manifest;
    }

    /// <summary>Writes the PCA projections <paramref name="pcas"/> (e.g. pca2d, pca3d) of one head's joint points
    /// [2N, dHead] and records their faithfulness. One fit serves 2D and 3D (the 2D axes are the 3D fit's first two);
    /// one thread, since heads run side by side.</summary>
    public static void WritePca(string runDir, string headDir, float[] points, int n, int dHead, IReadOnlyList<string> pcas)
    {
        var pca = PcaModel.Fit(points, 2 * n, dHead, pcas.Max(p => ParseProjection(p).Dims), threads: 1);
        foreach (var p in pcas)
        {
            int dims = ParseProjection(p).Dims;
            var coords = pca.Transform(points, 2 * n, dims); // [2N, dims]
            RunWriter.WriteProjection(Path.Combine(headDir, p + ".arrow"), coords, 2 * n, dims);
            HeadMetrics.RecordFaithfulness(runDir, headDir, p, coords, n, dims);
        }
    }

    /// <summary>The corpus as the model's sequences: over-long lines split, then cut at <paramref name="maxTokens"/>.</summary>
    private static List<CorpusSentence> SelectSentences(ITransformerModel model, CorpusFile corpus, int maxTokens,
        IBuildProgress progress, CancellationToken cancel)
    {
        var chunker = new CorpusChunker(model);
        var sentences = new List<CorpusSentence>();
        var stage = progress.Start("tokenizing", corpus.Lines.Count);
        int tokens = 0, splitLines = 0, firstSplitLine = 0, linesUsed = 0;
        bool full = false;
        foreach (var line in corpus.Lines)
        {
            cancel.ThrowIfCancellationRequested();
            var pieces = chunker.Chunk(line);
            foreach (var piece in pieces)
            {
                int len = piece.Tokens.Ids.Length;
                if (maxTokens > 0 && tokens + len > maxTokens) { full = true; break; }
                sentences.Add(piece);
                tokens += len;
            }
            if (full) break;
            linesUsed++;
            if (pieces.Count > 1 && splitLines++ == 0) firstSplitLine = line.Line;
            stage.Report(linesUsed);
        }
        stage.Complete();
        if (splitLines > 0)
            progress.Warn($"{splitLines} corpus line(s) were longer than the model's {model.Info.MaxPositions} positions and were split " +
                          $"into pieces that fit (first: line {firstSplitLine} of {corpus.Source})");
        if (full)
            progress.Warn($"--max-tokens {maxTokens}: kept the first {sentences.Count} sentences ({tokens} tokens); " +
                          $"the corpus continues from line {corpus.Lines[linesUsed].Line}");
        if (sentences.Count == 0)
            throw new CorpusInputException($"--max-tokens {maxTokens} leaves no sentence of '{corpus.Source}': its first sentence alone has more tokens");
        return sentences;
    }

    public static ManifestModel ModelOf(ModelInfo info) => new()
    {
        Name = info.Name, Architecture = info.Architecture, Layers = info.Layers, Heads = info.Heads, KvHeads = info.KvHeads,
        DHead = info.DHead, DModel = info.DModel, MaxPositions = info.MaxPositions,
    };

    /// <summary><see cref="ModelOf(ModelInfo)"/> plus a vision model's patch grid.</summary>
    public static ManifestModel ModelOf(ITransformerModel model)
    {
        var m = ModelOf(model.Info);
        return model is IImageModel vision ? m with { PatchRows = vision.PatchGrid.Rows, PatchCols = vision.PatchGrid.Cols } : m;
    }

    public static ManifestSettings SettingsOf(BuildSettings s) => new()
    {
        Seed = s.Seed, MaxTokens = s.MaxTokens, KeyTranslation = s.KeyTranslation, ScaleMatching = s.ScaleMatching,
        Metric = s.Metric == Metric.Cosine ? "cosine" : "euclidean", Perplexity = s.Perplexity, TsneIterations = s.TsneIterations,
        UmapNeighbors = s.UmapNeighbors, UmapMinDist = s.UmapMinDist,
    };

    public static Metric ParseMetric(string name) => name switch
    {
        "cosine" => Metric.Cosine,
        "euclidean" => Metric.Euclidean,
        _ => throw new BuildInputException($"unknown metric '{name}'; expected cosine or euclidean"),
    };

    /// <summary>"pca2d" → ("pca", 2). Methods: pca, tsne, umap; dims 2 or 3.</summary>
    public static (string Method, int Dims) ParseProjection(string name)
    {
        if (name.Length >= 4 && name.EndsWith('d') && name[^2] is '2' or '3')
        {
            string method = name[..^2];
            if (method is "pca" or "tsne" or "umap") return (method, name[^2] - '0');
        }
        throw new BuildInputException($"unknown projection '{name}'; expected pca2d, pca3d, tsne2d, tsne3d, umap2d or umap3d");
    }

    internal static void ValidateProjections(IReadOnlyList<string> projections)
    {
        foreach (var p in projections) ParseProjection(p);
        if (projections.Distinct().Count() != projections.Count) throw new BuildInputException("a projection is listed twice");
    }

    /// <summary>What differs between an existing run and the requested build, in words; empty when it can be resumed.</summary>
    private static List<string> Differences(RunManifest existing, ManifestModel model, string corpusKind, string sha256, BuildSettings settings)
    {
        var d = new List<string>();
        if (existing.Model != model) d.Add($"model {existing.Model.Name} ({existing.Model.Architecture}) vs {model.Name} ({model.Architecture})");
        if (existing.Corpus.Kind != corpusKind) d.Add($"corpus kind {existing.Corpus.Kind} vs {corpusKind}");
        if (existing.Corpus.Sha256 != sha256) d.Add($"corpus {existing.Corpus.Source} (sha256 {existing.Corpus.Sha256[..12]}…) vs a corpus with sha256 {sha256[..12]}…");
        var want = SettingsOf(settings);
        var have = existing.Settings;
        if (have.Seed != want.Seed) d.Add($"seed {have.Seed} vs {want.Seed}");
        if (have.MaxTokens != want.MaxTokens) d.Add($"max tokens {have.MaxTokens} vs {want.MaxTokens}");
        if (have.KeyTranslation != want.KeyTranslation) d.Add($"key translation {have.KeyTranslation} vs {want.KeyTranslation}");
        if (have.ScaleMatching != want.ScaleMatching) d.Add($"scale matching {have.ScaleMatching} vs {want.ScaleMatching}");
        if (have.Metric != want.Metric) d.Add($"metric {have.Metric} vs {want.Metric}");
        if (have.Perplexity != want.Perplexity) d.Add($"perplexity {have.Perplexity} vs {want.Perplexity}");
        if (have.UmapNeighbors != want.UmapNeighbors) d.Add($"UMAP neighbors {have.UmapNeighbors} vs {want.UmapNeighbors}");
        if (have.UmapMinDist != want.UmapMinDist) d.Add($"UMAP min_dist {have.UmapMinDist} vs {want.UmapMinDist}");
        if (have.TsneIterations != want.TsneIterations) d.Add($"t-SNE iterations {have.TsneIterations} vs {want.TsneIterations}");
        if (!existing.Projections.SequenceEqual(settings.Projections))
            d.Add($"projections [{string.Join(", ", existing.Projections)}] vs [{string.Join(", ", settings.Projections)}]");
        return d;
    }
}
