using System.Text;
using System.Text.Json;
using Microsoft.ML.Tokenizers;

namespace HeadAtlas.Models.Tokenization;

/// <summary>
/// Finds a decoder's tokenizer in a Hugging Face folder and builds it with Microsoft.ML.Tokenizers:
/// <c>tokenizer.model</c> (SentencePiece, LLaMA/Mistral), <c>vocab.json</c> + <c>merges.txt</c> (byte-level BPE:
/// GPT-2, Qwen2), or the byte-level BPE model inside <c>tokenizer.json</c> (LLaMA 3, Qwen2), in that order.
/// </summary>
public static class FolderTokenizers
{
    public const string SentencePieceFile = "tokenizer.model";
    public const string VocabJson = "vocab.json";
    public const string MergesTxt = "merges.txt";
    public const string TokenizerJson = "tokenizer.json";
    public const string TokenizerConfig = "tokenizer_config.json";

    /// <param name="addBosByDefault">Whether to start every text with the BOS token when tokenizer_config.json does not say.</param>
    public static LibraryTextTokenizer ForDecoder(string folder, HfConfig config, int maxPositions, bool addBosByDefault)
    {
        string Path_(string f) => Path.Combine(folder, f);
        bool addBos = TokenizerConfigBool(folder, "add_bos_token") ?? addBosByDefault;
        int? configBos = config.Has("bos_token_id") ? config.Int("bos_token_id", 1) : null;

        if (File.Exists(Path_(SentencePieceFile)))
        {
            SentencePieceTokenizer sp;
            try
            {
                using var s = File.OpenRead(Path_(SentencePieceFile));
                sp = LlamaTokenizer.Create(s, false, false);
            }
            catch (Exception e) when (e is not ModelException and not IOException)
            {
                throw new ModelException($"{Path_(SentencePieceFile)}: not a SentencePiece model the tokenizer library can read ({e.Message})", e);
            }
            return new LibraryTextTokenizer(sp, addBos ? sp.BeginningOfSentenceId : null, sp.BeginningOfSentenceToken, maxPositions);
        }

        Stream vocab, merges;
        string source;
        if (File.Exists(Path_(VocabJson)) && File.Exists(Path_(MergesTxt)))
        {
            vocab = File.OpenRead(Path_(VocabJson));
            merges = File.OpenRead(Path_(MergesTxt));
            source = $"{Path_(VocabJson)} and {MergesTxt}";
        }
        else if (File.Exists(Path_(TokenizerJson)))
        {
            (vocab, merges) = BpeFromTokenizerJson(Path_(TokenizerJson));
            source = Path_(TokenizerJson);
        }
        else
        {
            throw new ModelException($"{folder}: no tokenizer: expected {SentencePieceFile}, or {VocabJson} + {MergesTxt}, or a byte-level BPE {TokenizerJson}");
        }
        using (vocab)
        using (merges)
        {
            CodeGenTokenizer bpe;
            try
            {
                // CodeGen's tokenizer is GPT-2's byte-level BPE.
                bpe = CodeGenTokenizer.Create(vocab, merges, false, false, false);
            }
            catch (Exception e) when (e is not ModelException and not IOException)
            {
                throw new ModelException($"{source}: not a byte-level BPE vocabulary the tokenizer library can read ({e.Message})", e);
            }
            int? bos = addBos ? configBos : null;
            return new LibraryTextTokenizer(bpe, bos, bos is int b ? bpe.Decode([b]) : null, maxPositions);
        }
    }

    /// <summary>vocab.json and merges.txt streams rebuilt from tokenizer.json's "model" (type BPE).</summary>
    private static (Stream Vocab, Stream Merges) BpeFromTokenizerJson(string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            if (!doc.RootElement.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object)
                throw new ModelException($"{path}: field 'model' is missing");
            string type = model.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "";
            if (type != "BPE") throw new ModelException($"{path}: model.type is '{type}'; only byte-level BPE is read from tokenizer.json (give tokenizer.model for SentencePiece)");
            if (!model.TryGetProperty("vocab", out var vocab) || vocab.ValueKind != JsonValueKind.Object)
                throw new ModelException($"{path}: field 'model.vocab' is missing");
            if (!model.TryGetProperty("merges", out var merges) || merges.ValueKind != JsonValueKind.Array)
                throw new ModelException($"{path}: field 'model.merges' is missing");
            var mergeText = new StringBuilder("#version: 0.2\n");
            foreach (var m in merges.EnumerateArray())
            {
                // Older files hold "a b"; newer ones ["a", "b"].
                if (m.ValueKind == JsonValueKind.String) mergeText.Append(m.GetString()).Append('\n');
                else if (m.ValueKind == JsonValueKind.Array && m.GetArrayLength() == 2) mergeText.Append(m[0].GetString()).Append(' ').Append(m[1].GetString()).Append('\n');
                else throw new ModelException($"{path}: a model.merges entry is neither \"a b\" nor [a, b]");
            }
            var vocabStream = new MemoryStream(Encoding.UTF8.GetBytes(vocab.GetRawText()));
            return (vocabStream, new MemoryStream(Encoding.UTF8.GetBytes(mergeText.ToString())));
        }
        catch (JsonException e)
        {
            throw new ModelException($"{path}: not valid JSON ({e.Message})", e);
        }
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
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
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
