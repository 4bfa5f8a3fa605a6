namespace HeadAtlas.Models.Tokenization;

/// <summary>
/// A decoder's tokenizer (byte-level BPE or SentencePiece): an optional beginning-of-sequence token first, then the
/// text's pieces, cut to the model's positions.
/// </summary>
public sealed class DecoderTextTokenizer(IPieceEncoder pieces, int? bosId, string? bosText, int maxPositions) : ITextTokenizer
{
    public IPieceEncoder Pieces => pieces;

    public TokenizedText Tokenize(string text)
    {
        var encoded = pieces.Encode(text);
        int room = maxPositions - (bosId is null ? 0 : 1);
        bool truncated = encoded.Count > room;
        var kept = encoded.Take(room).ToList();
        var ids = new List<int>(kept.Count + 1);
        var tokens = new List<string>(kept.Count + 1);
        if (bosId is int bos)
        {
            ids.Add(bos);
            tokens.Add(bosText ?? "<bos>");
        }
        ids.AddRange(kept);
        tokens.AddRange(pieces.Display(kept));
        var isSpecial = ids.Select((_, i) => bosId is not null && i == 0).ToArray();
        return new TokenizedText([.. ids], [.. tokens], isSpecial, truncated);
    }
}
