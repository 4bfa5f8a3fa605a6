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
            string p = model.Pieces[id]; // "<0xF0>"
            if (p.Length == 6 && p.StartsWith("<0x", StringComparison.Ordinal) && p[5] == '>'
                && byte.TryParse(p.AsSpan(3, 2), System.Globalization.NumberStyles.HexNumber, null, out byte b))
            {
                _byteIds[b] = id;
                _byteOf[id] = b;
            }
            else throw new ModelException($"{source}: piece {id} '{p}' is marked as a byte but is not named <0xXX>");
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

    /// <summary>
    /// A piece shows with "▁" as a space (" the", as GPT-2's " the"); special pieces as named ("&lt;s&gt;", "&lt;unk&gt;").
    /// A byte piece shows as its name and the character its run of bytes spells, "&lt;0xF0:🐋&gt;" ... "&lt;0x8B:🐋&gt;";
    /// a byte of an incomplete or invalid sequence, or of an invisible character (tab, newline), as its name alone.
    /// </summary>
    public string[] Display(IReadOnlyList<int> ids)
    {
        var shown = new string[ids.Count];
        for (int i = 0; i < ids.Count;)
        {
            int id = ids[i];
            if ((uint)id >= (uint)_model.VocabSize) { shown[i++] = $"<{id}>"; continue; }
            if (_byteOf[id] < 0)
            {
                shown[i++] = _model.Types[id] is SentencePieceModelFile.PieceType.Normal or SentencePieceModelFile.PieceType.UserDefined
                    ? _model.Pieces[id].Replace('\u2581', ' ')
                    : _model.Pieces[id];
                continue;
            }
            int end = i; // the run of byte pieces [i, end)
            while (end < ids.Count && (uint)ids[end] < (uint)_model.VocabSize && _byteOf[ids[end]] >= 0) end++;
            var run = new byte[end - i];
            for (int j = i; j < end; j++) run[j - i] = (byte)_byteOf[ids[j]];
            for (int at = 0; at < run.Length;)
            {
                var status = Rune.DecodeFromUtf8(run.AsSpan(at), out Rune rune, out int used);
                bool visible = status == System.Buffers.OperationStatus.Done && !Rune.IsControl(rune) && !Rune.IsWhiteSpace(rune);
                for (int k = 0; k < used; k++)
                    shown[i + at + k] = visible ? $"<0x{run[at + k]:X2}:{rune}>" : $"<0x{run[at + k]:X2}>";
                at += Math.Max(used, 1);
            }
            i = end;
        }
        return shown;
    }
}
