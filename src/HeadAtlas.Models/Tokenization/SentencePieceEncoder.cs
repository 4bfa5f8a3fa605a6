using System.Text;
using Microsoft.ML.Tokenizers;

namespace HeadAtlas.Models.Tokenization;

/// <summary>
/// SentencePiece (LLaMA, Mistral <c>tokenizer.model</c>) tokenization as Google's SentencePiece does it, byte fallback
/// included: a character missing from the vocabulary becomes its UTF-8 bytes, pieces <c>&lt;0xF0&gt;</c>..., or, in a
/// model without byte fallback, one <c>&lt;unk&gt;</c> per run of such characters.
/// </summary>
/// <remarks>
/// Microsoft.ML.Tokenizers 2.0.1 segments (BPE merges, unigram Viterbi, normalization) but its byte fallback is wrong
/// for unigram models: their byte pieces are left out of its vocabulary, so it numbers the bytes from the last byte
/// piece instead of <c>&lt;0x00&gt;</c> (out-of-vocabulary ids, or ids of unrelated pieces), and EncodeToTokens throws.
/// So the library runs with byte fallback switched off and every <c>&lt;unk&gt;</c> it returns is resolved here from
/// its span of the normalized text: into byte pieces, or merged with the <c>&lt;unk&gt;</c> before it (as
/// SentencePiece merges unknown runs). Checked against python3-sentencepiece in tests/fixtures/make_sentencepiece.py.
/// </remarks>
public sealed class SentencePieceEncoder : IPieceEncoder
{
    private readonly SentencePieceModelFile _model;
    private readonly SentencePieceTokenizer _library; // byte fallback off: unknown text comes back as <unk>
    private readonly int[] _byteIds = new int[256];   // byte value → id of its <0xXX> piece, -1 if the model lacks it
    private readonly int[] _byteOf;                   // [vocab]: id → byte value of a byte piece, -1 for other pieces

    public SentencePieceEncoder(SentencePieceModelFile model, string source)
    {
        _model = model;
        if (model.ModelType is not (SentencePieceModelFile.Algorithm.Bpe or SentencePieceModelFile.Algorithm.Unigram))
            throw new ModelException($"{source}: SentencePiece model type {model.ModelType} is not supported (BPE and unigram are)");
        // The library applies no precompiled normalization table; LLaMA and Mistral use "identity" and have none.
        if (model.HasCharsMap)
            throw new ModelException($"{source}: SentencePiece normalization '{model.NormalizerRule}' is not supported; only models with identity normalization (as LLaMA and Mistral) are read");
        try
        {
            using var stream = new MemoryStream(model.WithoutByteFallback());
            _library = SentencePieceTokenizer.Create(stream, false, false);
        }
        catch (Exception e) when (e is not ModelException and not IOException)
        {
            throw new ModelException($"{source}: not a SentencePiece model the tokenizer library can read ({e.Message})", e);
        }
        Array.Fill(_byteIds, -1);
        _byteOf = new int[model.VocabSize];
        Array.Fill(_byteOf, -1);
        for (int id = 0; id < model.VocabSize; id++)
        {
            if (model.Types[id] != SentencePieceModelFile.PieceType.Byte) continue;
            int b = PieceDisplay.ByteOfName(model.Pieces[id]); // "<0xF0>" → 0xF0
            if (b < 0) throw new ModelException($"{source}: piece {id} '{model.Pieces[id]}' is marked as a byte but is not named <0xXX>");
            _byteIds[b] = id;
            _byteOf[id] = b;
        }
    }

    public static SentencePieceEncoder Read(string path) => new(SentencePieceModelFile.Read(path), path);

    public SentencePieceModelFile Model => _model;

    public IReadOnlyList<int> Encode(string text)
    {
        var tokens = _library.EncodeToTokens(text, out string? normalized, addBeginningOfSentence: false, addEndOfSentence: false);
        normalized ??= text;
        var ids = new List<int>(tokens.Count);
        bool lastWasUnk = false;
        foreach (var token in tokens)
        {
            if (token.Id != _model.UnkId)
            {
                ids.Add(token.Id);
                lastWasUnk = false;
                continue;
            }
            var span = normalized.AsSpan()[token.Offset];
            if (_model.ByteFallback && TryAddBytes(span, ids))
            {
                lastWasUnk = false;
                continue;
            }
            if (!lastWasUnk) ids.Add(_model.UnkId); // SentencePiece gives a run of unknown characters one <unk>
            lastWasUnk = true;
        }
        return ids;
    }

    /// <summary>Appends the byte pieces of <paramref name="span"/>'s UTF-8; false (nothing added) if a byte has no piece.</summary>
    private bool TryAddBytes(ReadOnlySpan<char> span, List<int> ids)
    {
        var bytes = Encoding.UTF8.GetBytes(span.ToArray());
        foreach (byte b in bytes)
            if (_byteIds[b] < 0) return false;
        foreach (byte b in bytes) ids.Add(_byteIds[b]);
        return true;
    }

    /// <summary>Display text as <see cref="PieceDisplay"/> describes; special pieces as named ("&lt;s&gt;", "&lt;unk&gt;").</summary>
    public string[] Display(IReadOnlyList<int> ids) => PieceDisplay.Show(ids, id =>
        (uint)id >= (uint)_model.VocabSize ? $"<{id}>"
        : _model.Types[id] is SentencePieceModelFile.PieceType.Normal or SentencePieceModelFile.PieceType.UserDefined
            ? _model.Pieces[id].Replace(PieceDisplay.Metaspace, ' ')
            : _model.Pieces[id],
        id => (uint)id < (uint)_model.VocabSize ? _byteOf[id] : -1);
}
