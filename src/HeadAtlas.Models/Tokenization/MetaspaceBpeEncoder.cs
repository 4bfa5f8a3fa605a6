using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace HeadAtlas.Models.Tokenization;

/// <summary>
/// SentencePiece-style BPE from a Hugging Face <c>tokenizer.json</c> (LLaMA 2, Mistral, TinyLlama as transformers
/// writes them, next to or instead of tokenizer.model): spaces become "▁" and a "▁" goes in front (a Prepend + Replace
/// normalizer, or a Metaspace pre-tokenizer), BPE merges by rank run over each word (Microsoft.ML.Tokenizers'
/// BpeTokenizer), and a character missing from the vocabulary becomes its UTF-8 byte tokens <c>&lt;0xF0&gt;</c>...
/// (<c>byte_fallback</c>), or <c>&lt;unk&gt;</c> (one per run with <c>fuse_unk</c>), or, in a model with neither, an
/// error naming the character. Text that looks like an added token ("&lt;s&gt;") stays text, as in SentencePiece.
/// </summary>
/// <remarks>
/// The library has no byte fallback for BPE, so it runs with an unknown token and each unknown span it returns is
/// resolved here, as Hugging Face's BPE does before merging (unknown characters never take part in a merge).
/// </remarks>
public sealed class MetaspaceBpeEncoder : IPieceEncoder
{
    private readonly BpeTokenizer _bpe;
    private readonly string _source;
    private readonly Dictionary<int, string> _pieces = [];   // id → token text
    private readonly int[] _byteIds = new int[256];          // byte → id of its <0xHH> token, -1 if none
    private readonly Dictionary<int, int> _byteOf = [];      // id of a <0xHH> token → its byte
    private readonly int _unkId;                             // the file's unk token id, -1 if it has none
    private readonly int _libraryUnk;                        // what the library returns for unknown text
    private readonly bool _byteFallback, _fuseUnk;
    private readonly List<Func<string, string>> _normalizers = [];
    private readonly Metaspace? _metaspace;

    private sealed record Metaspace(char Replacement, bool Prepend, bool Split);

    private MetaspaceBpeEncoder(string source, JsonElement root, JsonElement model)
    {
        _source = source;
        _byteFallback = OptionalBool(model, "byte_fallback") ?? false;
        _fuseUnk = OptionalBool(model, "fuse_unk") ?? false;
        foreach (string field in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
            if (model.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.String && v.GetString()!.Length > 0)
                throw new ModelException($"{source}: field 'model.{field}' is set; a SentencePiece-style BPE has none");

        var vocab = FolderTokenizers.ReadVocab(Required(model, "vocab", source), source, "field 'model.vocab'");
        foreach (var (token, id) in vocab) _pieces[id] = token;
        Array.Fill(_byteIds, -1);
        foreach (var (token, id) in vocab)
        {
            int b = PieceDisplay.ByteOfName(token);
            if (b < 0) continue;
            _byteIds[b] = id;
            _byteOf[id] = b;
        }
        string? unkToken = model.TryGetProperty("unk_token", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString() : null;
        _unkId = unkToken is not null && vocab.FirstOrDefault(kv => kv.Key == unkToken) is { Key: not null } found ? found.Value : -1;
        if (unkToken is not null && _unkId < 0) throw new ModelException($"{source}: model.unk_token '{unkToken}' is not in model.vocab");
        // The library needs an unknown token to report unknown text; without one in the file, give it one past the vocabulary.
        _libraryUnk = _unkId >= 0 ? _unkId : vocab.Max(kv => kv.Value) + 1;
        string libraryUnkText = _unkId >= 0 ? unkToken! : "\uE000unknown";
        var libraryVocab = _unkId >= 0 ? vocab : [.. vocab, new(libraryUnkText, _libraryUnk)];

        if (root.TryGetProperty("normalizer", out var normalizer)) AddNormalizer(normalizer);
        if (root.TryGetProperty("pre_tokenizer", out var pre) && pre.ValueKind != JsonValueKind.Null) _metaspace = ReadMetaspace(pre);

        try
        {
            _bpe = BpeTokenizer.Create(new BpeOptions(libraryVocab)
            {
                Merges = FolderTokenizers.ReadMerges(Required(model, "merges", source), source),
                UnknownToken = libraryUnkText,
                FuseUnknownTokens = false, // fused here, after byte fallback had its chance
                // Each word is merged whole (words are made here, see Words).
                PreTokenizer = new RegexPreTokenizer(new Regex(@"(?s).+", RegexOptions.Compiled), null),
            });
        }
        catch (Exception e) when (e is not ModelException and not IOException)
        {
            throw new ModelException($"{source}: not a BPE vocabulary the tokenizer library can read ({e.Message})", e);
        }
    }

    /// <summary>The encoder for a tokenizer.json whose model is a SentencePiece-style BPE; null for any other kind
    /// (byte-level BPE, WordPiece, unigram), which other readers handle or refuse.</summary>
    public static MetaspaceBpeEncoder? TryRead(string path)
    {
        try
        {
            using var doc = StrictJson.Parse(File.ReadAllBytes(path), path);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object) return null;
            string type = model.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "";
            bool byteLevel = root.TryGetProperty("pre_tokenizer", out var pre) && pre.GetRawText().Contains("\"ByteLevel\"", StringComparison.Ordinal);
            bool metaspace = pre.ValueKind == JsonValueKind.Object && pre.TryGetProperty("type", out var pt) && pt.ValueKind == JsonValueKind.String && pt.GetString() == "Metaspace";
            bool normalized = root.TryGetProperty("normalizer", out var n) && n.ValueKind == JsonValueKind.Object;
            if (type != "BPE" || byteLevel || !(metaspace || normalized || (OptionalBool(model, "byte_fallback") ?? false))) return null;
            return new MetaspaceBpeEncoder(path, root, model);
        }
        catch (JsonException e)
        {
            throw new ModelException($"{path}: not valid JSON ({e.Message})", e);
        }
    }

    /// <summary>The text of token <paramref name="id"/> as in the vocabulary ("&lt;s&gt;"), or null.</summary>
    public string? Piece(int id) => _pieces.GetValueOrDefault(id);

    public IReadOnlyList<int> Encode(string text)
    {
        var ids = new List<int>();
        foreach (string word in Words(text))
        {
            bool lastWasUnk = false; // Hugging Face fuses unknown runs within a word
            foreach (var token in _bpe.EncodeToTokens(word, out _, considerPreTokenization: true, considerNormalization: false))
            {
                if (token.Id != _libraryUnk)
                {
                    ids.Add(token.Id);
                    lastWasUnk = false;
                    continue;
                }
                string span = word[token.Offset];
                if (_byteFallback && TryAddBytes(span, ids)) { lastWasUnk = false; continue; }
                if (_unkId < 0)
                    throw new ModelException($"'{span}' (U+{char.ConvertToUtf32(span, 0):X4}) is not in the vocabulary of {_source}, which has no byte fallback and no unk token");
                if (!(lastWasUnk && _fuseUnk)) ids.Add(_unkId);
                lastWasUnk = true;
            }
        }
        return ids;
    }

    public string[] Display(IReadOnlyList<int> ids) => PieceDisplay.Show(ids,
        id => _pieces.TryGetValue(id, out var p) ? p.Replace(PieceDisplay.Metaspace, ' ') : $"<{id}>",
        id => _byteOf.TryGetValue(id, out int b) ? b : -1);

    /// <summary>The text after the normalizer and the Metaspace pre-tokenizer: one word, or one per "▁" (split).</summary>
    private IEnumerable<string> Words(string text)
    {
        if (text.Length == 0) yield break;
        foreach (var normalize in _normalizers) text = normalize(text);
        if (_metaspace is { } m)
        {
            text = text.Replace(' ', m.Replacement);
            if (m.Prepend && !text.StartsWith(m.Replacement)) text = m.Replacement + text;
            if (m.Split)
            {
                // Each replacement starts a new word ("▁the▁whale" → "▁the", "▁whale").
                int start = 0;
                for (int i = 1; i <= text.Length; i++)
                    if (i == text.Length || text[i] == m.Replacement)
                    {
                        yield return text[start..i];
                        start = i;
                    }
                yield break;
            }
        }
        if (text.Length > 0) yield return text;
    }

    private bool TryAddBytes(string span, List<int> ids)
    {
        var bytes = Encoding.UTF8.GetBytes(span);
        foreach (byte b in bytes)
            if (_byteIds[b] < 0) return false;
        foreach (byte b in bytes) ids.Add(_byteIds[b]);
        return true;
    }

    private void AddNormalizer(JsonElement n)
    {
        if (n.ValueKind == JsonValueKind.Null) return;
        string type = n.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "";
        switch (type)
        {
            case "Sequence":
                foreach (var step in Required(n, "normalizers", _source).EnumerateArray()) AddNormalizer(step);
                break;
            case "Prepend":
                string prefix = RequiredString(n, "prepend");
                _normalizers.Add(s => s.Length == 0 ? s : prefix + s);
                break;
            case "Replace":
                if (!Required(n, "pattern", _source).TryGetProperty("String", out var from) || from.ValueKind != JsonValueKind.String)
                    throw new ModelException($"{_source}: a Replace normalizer with a regex pattern is not supported (only a plain String)");
                string f = from.GetString()!, to = RequiredString(n, "content");
                _normalizers.Add(s => s.Replace(f, to, StringComparison.Ordinal));
                break;
            case "NFC": _normalizers.Add(s => s.Normalize(NormalizationForm.FormC)); break;
            case "NFKC": _normalizers.Add(s => s.Normalize(NormalizationForm.FormKC)); break;
            default:
                throw new ModelException($"{_source}: normalizer '{type}' is not supported (Prepend, Replace, NFC, NFKC and Sequence are)");
        }
    }

    private Metaspace ReadMetaspace(JsonElement pre)
    {
        string type = pre.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "";
        if (type != "Metaspace")
            throw new ModelException($"{_source}: pre_tokenizer '{type}' is not supported with a SentencePiece-style BPE (Metaspace or none is)");
        string replacement = RequiredString(pre, "replacement");
        if (replacement.Length != 1) throw new ModelException($"{_source}: pre_tokenizer.replacement must be one character");
        // Newer files say prepend_scheme ("always", "first", "never"); older ones add_prefix_space.
        bool prepend = pre.TryGetProperty("prepend_scheme", out var scheme) && scheme.ValueKind == JsonValueKind.String
            ? scheme.GetString() != "never"
            : OptionalBool(pre, "add_prefix_space") ?? true;
        return new Metaspace(replacement[0], prepend, OptionalBool(pre, "split") ?? true);
    }

    private static bool? OptionalBool(JsonElement e, string field) =>
        e.TryGetProperty(field, out var v) ? v.ValueKind switch { JsonValueKind.True => true, JsonValueKind.False => false, _ => null } : null;

    private static JsonElement Required(JsonElement e, string field, string source) =>
        e.TryGetProperty(field, out var v) ? v : throw new ModelException($"{source}: field '{field}' is missing");

    private string RequiredString(JsonElement e, string field) =>
        Required(e, field, _source) is { ValueKind: JsonValueKind.String } v ? v.GetString()! : throw new ModelException($"{_source}: field '{field}' must be a string");
}
