using Microsoft.ML.Tokenizers;

namespace HeadAtlas.Models.Tokenization;

/// <summary>
/// A Microsoft.ML.Tokenizers tokenizer (byte-level BPE, SentencePiece) framed for a decoder: an optional
/// beginning-of-sequence token first, then the text's tokens, cut to the model's positions.
/// </summary>
public sealed class LibraryTextTokenizer(Tokenizer tokenizer, int? bosId, string? bosText, int maxPositions) : ITextTokenizer
{
    public Tokenizer Inner => tokenizer;

    public TokenizedText Tokenize(string text)
    {
        var pieces = tokenizer.EncodeToIds(text);
        int room = maxPositions - (bosId is null ? 0 : 1);
        bool truncated = pieces.Count > room;
        var ids = new List<int>(Math.Min(pieces.Count, room) + 1);
        if (bosId is int bos) ids.Add(bos);
        ids.AddRange(pieces.Take(room));
        var isSpecial = ids.Select((_, i) => bosId is not null && i == 0).ToArray();
        var tokens = ids.Select((id, i) => isSpecial[i] ? bosText ?? "<bos>" : Display(id)).ToArray();
        return new TokenizedText([.. ids], tokens, isSpecial, truncated);
    }

    /// <summary>The text a token stands for (" whale"); a token holding part of a UTF-8 character shows as &lt;id&gt;.</summary>
    private string Display(int id)
    {
        string? text = null;
        try { text = tokenizer.Decode([id]); } catch (ArgumentException) { }
        return string.IsNullOrEmpty(text) || text.Contains('\uFFFD') ? $"<{id}>" : text;
    }
}
