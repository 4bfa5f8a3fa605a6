using HeadAtlas.Models;

namespace HeadAtlas.Models.Tests;

/// <summary>Tokenization checked against BERT's rules and the vocabulary file itself (no ONNX Runtime involved).</summary>
public sealed class BertTokenizerTests
{
    private static readonly Lazy<string[]> VocabLines = new(() =>
    {
        using var reader = new StreamReader(MiniLmResources.OpenVocab());
        return reader.ReadToEnd().Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
    });

    private static ITransformerModel Model => BuiltinModels.Load("minilm");

    private static int Line(string token) => Array.IndexOf(VocabLines.Value, token);

    private static string[] Tokens(string text) => Model.Tokenize(text).Tokens;

    [Fact]
    public void KnownSentenceHasTheIdsOfItsVocabularyLines()
    {
        var t = Model.Tokenize("Hello, world!");
        string[] expected = ["[CLS]", "hello", ",", "world", "!", "[SEP]"];
        Assert.Equal(expected, t.Tokens);
        Assert.Equal(expected.Select(Line), t.Ids);
        // bert-base-uncased ids, as every BERT tutorial prints them.
        Assert.Equal([101, 7592, 1010, 2088, 999, 102], t.Ids);
        Assert.Equal([true, false, false, false, false, true], t.IsSpecial);
        Assert.False(t.Truncated);
    }

    [Fact]
    public void UnknownWordsSplitIntoPiecesThatSpellTheWord()
    {
        var t = Model.Tokenize("harpooneers");
        var pieces = t.Tokens[1..^1];
        Assert.True(pieces.Length > 1, $"expected several pieces, got {string.Join(" ", pieces)}");
        Assert.StartsWith("##", pieces[1]);
        Assert.Equal("harpooneers", string.Concat(pieces.Select(p => p.StartsWith("##") ? p[2..] : p)));
        Assert.All(t.Ids[1..^1], id => Assert.NotEqual(Line("[UNK]"), id));
    }

    [Fact]
    public void LowerCasesAndStripsAccents() =>
        Assert.Equal(["[CLS]", "cafe", "naive", "resume", "[SEP]"], Tokens("CAFÉ Naïve résumé"));

    [Fact]
    public void TabsAndNewlinesSeparateWords() =>
        Assert.Equal(["[CLS]", "a", "b", "c", "d", "[SEP]"], Tokens("a\tb\nc\r\nd"));

    [Fact]
    public void PunctuationAndQuotesAreWordsOfTheirOwn() =>
        Assert.Equal(["[CLS]", "don", "'", "t", "\"", "stop", "\"", "-", "$", "5", ".", "[SEP]"], Tokens("don't \"stop\"-$5."));

    [Fact]
    public void SymbolsOutsideTheVocabularyBecomeUnknownInsteadOfVanishing() =>
        Assert.Equal(["[CLS]", "a", "[UNK]", "b", "[SEP]"], Tokens("a 🐋 b"));

    [Fact]
    public void CjkIdeographsAreSeparateWords()
    {
        var tokens = Tokens("東京");
        Assert.Equal(4, tokens.Length);
        Assert.Equal(Line("東"), Model.Tokenize("東京").Ids[1]);
        Assert.Equal(Line("京"), Model.Tokenize("東京").Ids[2]);
    }

    [Fact]
    public void TextThatLooksLikeASpecialTokenStaysText() =>
        Assert.Equal(["[CLS]", "[", "sep", "]", "[SEP]"], Tokens("[SEP]"));

    [Fact]
    public void ControlCharactersAreDropped() =>
        Assert.Equal(["[CLS]", "ab", "[SEP]"], Tokens("a\u0000\u200Bb"));

    [Fact]
    public void LongTextIsTruncatedTo512PositionsEndingWithSep()
    {
        var t = Model.Tokenize(string.Join(" ", Enumerable.Repeat("whale", 600)));
        Assert.True(t.Truncated);
        Assert.Equal(512, t.Ids.Length);
        Assert.Equal("[CLS]", t.Tokens[0]);
        Assert.Equal("[SEP]", t.Tokens[^1]);
        Assert.All(t.Tokens[1..^1], tok => Assert.Equal("whale", tok));

        var exact = Model.Tokenize(string.Join(" ", Enumerable.Repeat("whale", 510)));
        Assert.False(exact.Truncated);
        Assert.Equal(512, exact.Ids.Length);
    }

    [Fact]
    public void EmptyTextIsClsSep() => Assert.Equal(["[CLS]", "[SEP]"], Tokens("  "));
}
