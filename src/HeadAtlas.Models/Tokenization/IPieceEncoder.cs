namespace HeadAtlas.Models.Tokenization;

/// <summary>The text → ids step of a decoder's tokenizer (no special tokens), and the display text of ids.</summary>
public interface IPieceEncoder
{
    IReadOnlyList<int> Encode(string text);

    /// <summary>Display text of each id of a sequence; a byte token's text depends on its neighbours (the character they spell).</summary>
    string[] Display(IReadOnlyList<int> ids);
}
