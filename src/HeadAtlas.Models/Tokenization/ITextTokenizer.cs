namespace HeadAtlas.Models.Tokenization;

/// <summary>Turns a text into the ids a model reads, with display strings, special tokens and truncation.</summary>
public interface ITextTokenizer
{
    TokenizedText Tokenize(string text);
}
