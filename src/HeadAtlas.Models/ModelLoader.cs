using HeadAtlas.Models.Architectures;
using HeadAtlas.Models.Onnx;
using HeadAtlas.Models.Tokenization;
using HeadAtlas.Models.Weights;

namespace HeadAtlas.Models;

/// <summary>
/// The one way the CLI opens a model: a built-in name ("minilm"), a Hugging Face folder (config.json, safetensors
/// weights, tokenizer files) or a BERT .onnx file with a vocab.txt beside it.
/// </summary>
public static class ModelLoader
{
    /// <summary>model_type values of config.json this loader reads.</summary>
    public static IReadOnlyList<string> FolderModelTypes { get; } = ["bert", "gpt2", "vit", .. LlamaWeights.ModelTypes];

    /// <summary>What a folder must hold, for `headatlas models` and error messages.</summary>
    public static string FolderRequirements =>
        "a Hugging Face model folder holding config.json (model_type " + string.Join(", ", FolderModelTypes) + "), " +
        "model.safetensors or model.safetensors.index.json with its shards (F32, F16 or BF16), and the tokenizer: " +
        "vocab.txt (bert), vocab.json + merges.txt (gpt2, qwen2), tokenizer.model (llama, mistral) or tokenizer.json (BPE: byte-level, or SentencePiece-style with byte fallback); " +
        "a vit folder holds preprocessor_config.json instead of a tokenizer";

    public static ITransformerModel Load(string nameOrPath)
    {
        if (string.IsNullOrWhiteSpace(nameOrPath)) throw new ModelException("no model given: name a built-in model or a folder");
        if (BuiltinModels.Names.Contains(nameOrPath.Trim().ToLowerInvariant()) && !Directory.Exists(nameOrPath))
            return BuiltinModels.Load(nameOrPath);
        if (Directory.Exists(nameOrPath)) return LoadFolder(nameOrPath);
        if (File.Exists(nameOrPath) && nameOrPath.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase)) return LoadOnnx(nameOrPath);
        if (File.Exists(nameOrPath)) throw new ModelException($"{nameOrPath}: a model file must be .onnx; otherwise give {FolderRequirements}");
        throw new ModelException($"unknown model '{nameOrPath}': not a built-in ({string.Join(", ", BuiltinModels.Names)}) and no such folder or .onnx file");
    }

    public static ITransformerModel LoadFolder(string folder)
    {
        var config = HfConfig.Read(folder);
        string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)));
        if (!FolderModelTypes.Contains(config.ModelType))
            throw config.Error("model_type", $"is '{config.ModelType}'; supported: {string.Join(", ", FolderModelTypes)}");
        var store = WeightStore.OpenFolder(folder);
        try
        {
            switch (config.ModelType)
            {
                case "bert":
                {
                    var weights = BertFolderLoader.Load(config, store);
                    store.Dispose(); // copied out as fp32
                    return new Bert(name, weights, FolderTokenizers.ForBert(folder, weights.MaxPositions));
                }
                case "vit":
                    return new Vit(name, VitWeights.Load(config, store), Vision.ImagePreprocessor.Read(folder));
                case "gpt2":
                {
                    var weights = Gpt2Weights.Load(config, store);
                    return new Gpt2(name, weights, FolderTokenizers.ForDecoder(folder, config, weights.MaxPositions, addBosByDefault: false));
                }
                default:
                {
                    var weights = LlamaWeights.Load(config, store);
                    bool bos = config.ModelType is "llama" or "mistral";
                    return new Llama(name, weights, FolderTokenizers.ForDecoder(folder, config, weights.MaxPositions, addBosByDefault: bos));
                }
            }
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>A BERT exported to ONNX (as the built-in): weights from its initializers, vocab.txt beside it.</summary>
    public static ITransformerModel LoadOnnx(string path)
    {
        OnnxGraph graph;
        using (var s = File.OpenRead(path)) graph = OnnxGraphReader.Read(s, path);
        var weights = BertOnnxLoader.Load(graph);
        string folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        string vocab = Path.Combine(folder, "vocab.txt");
        if (!File.Exists(vocab)) throw new ModelException($"{path}: an ONNX model needs its vocab.txt beside it ({vocab} is missing); only BERT graphs are read");
        var tokenizer = FolderTokenizers.ForBert(folder, weights.MaxPositions);
        return new Bert(Path.GetFileNameWithoutExtension(path), weights, tokenizer);
    }
}
