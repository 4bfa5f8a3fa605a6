using System.Text.RegularExpressions;
using System.Text.Json;
using Microsoft.ML.Tokenizers;

namespace HeadAtlas.Models.Tokenization;

/// <summary>
/// Finds a decoder's tokenizer in a Hugging Face folder and builds it with Microsoft.ML.Tokenizers:
/// <c>tokenizer.model</c> (SentencePiece, LLaMA/Mistral), then <c>tokenizer.json</c> (a SentencePiece-style BPE with
/// byte fallback as LLaMA 2 and Mistral ship it, or a byte-level BPE: LLaMA 3, Qwen2), then <c>vocab.json</c> +
/// <c>merges.txt</c> (byte-level BPE: GPT-2, Qwen2).
/// </summary>
public static class FolderTokenizers
{
    public const string SentencePieceFile = "tokenizer.model";
    public const string VocabJson = "vocab.json";
    public const string MergesTxt = "merges.txt";
    public const string TokenizerJson = "tokenizer.json";
    public const string TokenizerConfig = "tokenizer_config.json";

    /// <param name="addBosByDefault">Whether to start every text with the BOS token when tokenizer_config.json does not say.</param>
    public static DecoderTextTokenizer ForDecoder(string folder, HfConfig config, int maxPositions, bool addBosByDefault)
    {
        string Path_(string f) => Path.Combine(folder, f);
        bool addBos = TokenizerConfigBool(folder, "add_bos_token") ?? addBosByDefault;
        int? configBos = config.OptionalId("bos_token_id");

        if (File.Exists(Path_(SentencePieceFile)))
        {
            var sp = SentencePieceEncoder.Read(Path_(SentencePieceFile));
            int? spBos = sp.Model.BosId >= 0 ? sp.Model.BosId : configBos;
            int? bosId = addBos ? spBos : null;
            return new DecoderTextTokenizer(sp, bosId, bosId is int id && id < sp.Model.VocabSize ? sp.Model.Pieces[id] : null, maxPositions);
        }

        if (File.Exists(Path_(TokenizerJson)) && MetaspaceBpeEncoder.TryRead(Path_(TokenizerJson)) is { } spBpe)
        {
            int? bosId = addBos ? configBos : null;
            return new DecoderTextTokenizer(spBpe, bosId, bosId is int id ? spBpe.Piece(id) : null, maxPositions);
        }

        (List<KeyValuePair<string, int>> Vocab, List<string> Merges, string? Pattern)? bpe = null;
        string source;
        if (File.Exists(Path_(TokenizerJson)) && BpeFromTokenizerJson(Path_(TokenizerJson)) is { } fromJson)
        {
            bpe = fromJson;
            source = Path_(TokenizerJson);
        }
        else if (File.Exists(Path_(VocabJson)) && File.Exists(Path_(MergesTxt)))
        {
            bpe = (ReadVocabJson(Path_(VocabJson)), ReadMerges(Path_(MergesTxt)), null);
            source = $"{Path_(VocabJson)} and {MergesTxt}";
        }
        else
        {
            throw new ModelException($"{folder}: no tokenizer: expected {SentencePieceFile}, or a BPE {TokenizerJson}, or {VocabJson} + {MergesTxt}");
        }
        BpeTokenizer tokenizer;
        try
        {
            tokenizer = BpeTokenizer.Create(new BpeOptions(bpe.Value.Vocab)
            {
                Merges = bpe.Value.Merges,
                ByteLevel = true,
                PreTokenizer = new RegexPreTokenizer(new Regex(bpe.Value.Pattern ?? Gpt2Pattern, RegexOptions.Compiled), null),
            });
        }
        catch (Exception e) when (e is not ModelException and not IOException)
        {
            throw new ModelException($"{source}: not a byte-level BPE vocabulary the tokenizer library can read ({e.Message})", e);
        }
        int? bos = addBos ? configBos : null;
        return new DecoderTextTokenizer(new ByteLevelBpeEncoder(tokenizer), bos, bos is int b ? bpe.Value.Vocab.FirstOrDefault(kv => kv.Value == b).Key : null, maxPositions);
    }

    /// <summary>GPT-2's pre-tokenization: contractions, letters, digits, other symbols, each with an optional leading space.</summary>
    private const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    private static List<KeyValuePair<string, int>> ReadVocabJson(string path)
    {
        try
        {
            using var doc = StrictJson.Parse(File.ReadAllBytes(path), path);
            return ReadVocab(doc.RootElement, path, "the file");
        }
        catch (JsonException e)
        {
            throw new ModelException($"{path}: not valid JSON ({e.Message})", e);
        }
    }

    internal static List<KeyValuePair<string, int>> ReadVocab(JsonElement vocab, string path, string field)
    {
        if (vocab.ValueKind != JsonValueKind.Object) throw new ModelException($"{path}: {field} must be an object of token → id");
        var pairs = new List<KeyValuePair<string, int>>();
        foreach (var p in vocab.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetInt32(out int id) || id < 0)
                throw new ModelException($"{path}: token '{p.Name}' has id {p.Value.GetRawText()}, not a non-negative integer");
            pairs.Add(new(p.Name, id));
        }
        return pairs;
    }

    /// <summary>tokenizer.json's model.merges: older files hold "a b", newer ones ["a", "b"].</summary>
    internal static List<string> ReadMerges(JsonElement merges, string path)
    {
        if (merges.ValueKind != JsonValueKind.Array) throw new ModelException($"{path}: field 'model.merges' must be an array");
        var lines = new List<string>();
        foreach (var m in merges.EnumerateArray())
        {
            if (m.ValueKind == JsonValueKind.String) lines.Add(m.GetString()!);
            else if (m.ValueKind == JsonValueKind.Array && m.GetArrayLength() == 2
                     && m[0].ValueKind == JsonValueKind.String && m[1].ValueKind == JsonValueKind.String) lines.Add($"{m[0].GetString()} {m[1].GetString()}");
            else throw new ModelException($"{path}: a model.merges entry is neither \"a b\" nor [a, b]");
        }
        return lines;
    }

    private static List<string> ReadMerges(string path) =>
        File.ReadLines(path).Where(l => l.Length > 0 && !l.StartsWith("#version", StringComparison.Ordinal)).ToList();

    /// <summary>The BPE model inside tokenizer.json ("model": {"type": "BPE", "vocab", "merges"}) and its Split regex, if any;
    /// null when the file holds another kind of model.</summary>
    private static (List<KeyValuePair<string, int>>, List<string>, string?)? BpeFromTokenizerJson(string path)
    {
        try
        {
            using var doc = StrictJson.Parse(File.ReadAllBytes(path), path);
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object)
                throw new ModelException($"{path}: field 'model' is missing");
            string type = model.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "";
            // SentencePiece-style BPE (LLaMA 2: Metaspace, byte fallback) is read by MetaspaceBpeEncoder instead.
            if (type != "BPE" || !doc.RootElement.TryGetProperty("pre_tokenizer", out var pre) || !pre.GetRawText().Contains("\"ByteLevel\"", StringComparison.Ordinal))
                return null;
            if (!model.TryGetProperty("vocab", out var vocab)) throw new ModelException($"{path}: field 'model.vocab' is missing");
            if (!model.TryGetProperty("merges", out var merges) || merges.ValueKind != JsonValueKind.Array)
                throw new ModelException($"{path}: field 'model.merges' is missing");
            return (ReadVocab(vocab, path, "field 'model.vocab'"), ReadMerges(merges, path), SplitPattern(doc.RootElement));
        }
        catch (JsonException e)
        {
            throw new ModelException($"{path}: not valid JSON ({e.Message})", e);
        }
    }

    /// <summary>The regex of a "Split" pre-tokenizer (LLaMA 3, Qwen2 use their own), if the file has one.</summary>
    private static string? SplitPattern(JsonElement root)
    {
        if (!root.TryGetProperty("pre_tokenizer", out var pre) || pre.ValueKind != JsonValueKind.Object) return null;
        var steps = pre.TryGetProperty("pretokenizers", out var list) && list.ValueKind == JsonValueKind.Array ? list.EnumerateArray().ToList() : [pre];
        foreach (var step in steps)
            if (step.ValueKind == JsonValueKind.Object && step.TryGetProperty("type", out var ty) && ty.ValueKind == JsonValueKind.String && ty.GetString() == "Split"
                && step.TryGetProperty("pattern", out var pat) && pat.ValueKind == JsonValueKind.Object
                && pat.TryGetProperty("Regex", out var rx) && rx.ValueKind == JsonValueKind.String)
                return rx.GetString();
        return null;
    }

    /// <summary>WordPiece from vocab.txt; lower-casing as tokenizer_config.json's do_lower_case says (default true).</summary>
    public static BertTextTokenizer ForBert(string folder, int maxPositions)
    {
        string path = Path.Combine(folder, "vocab.txt");
        if (!File.Exists(path)) throw new ModelException($"{folder}: no tokenizer: a BERT folder needs vocab.txt");
        using var s = File.OpenRead(path);
        return BertTextTokenizer.FromVocab(s, path, TokenizerConfigBool(folder, "do_lower_case") ?? true, maxPositions);
    }

    private static bool? TokenizerConfigBool(string folder, string field)
    {
        string path = Path.Combine(folder, TokenizerConfig);
        if (!File.Exists(path)) return null;
        try
        {
            using var doc = StrictJson.Parse(File.ReadAllBytes(path), path);
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty(field, out var v)) return null;
            return v.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                JsonValueKind.Null => null,
                _ => throw new ModelException($"{path}: field '{field}' must be true or false"),
            };
        }
        catch (JsonException e)
        {
            throw new ModelException($"{path}: not valid JSON ({e.Message})", e);
        }
    }
}
