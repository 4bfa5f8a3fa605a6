namespace HeadAtlas.Atlas.Tests;

public class CorpusChunkerTests
{
    private static string Words(int n, string stem = "w") => string.Join(' ', Enumerable.Range(0, n).Select(i => stem + i));

    [Fact]
    public void ShortText_IsKeptWhole()
    {
        var model = new FakeModel(maxPositions: 24);
        var pieces = new CorpusChunker(model).Chunk(new CorpusLine("a short text", 7));
        var piece = Assert.Single(pieces);
        Assert.Equal("a short text", piece.Text);
        Assert.Equal(7, piece.SourceLine);
        Assert.False(piece.Split);
        Assert.False(piece.Tokens.Truncated);
    }

    [Fact]
    public void LongText_IsSplitAtSentenceBoundaries_WithoutLosingText()
    {
        var model = new FakeModel(maxPositions: 24); // 22 words per piece
        // Five sentences of 8 words: two fit in one piece (16 words), three do not (24).
        var sentences = Enumerable.Range(0, 5).Select(s => $"Sentence{s} " + Words(6, $"s{s}w") + " end.").ToList();
        string text = string.Join(' ', sentences);
        var pieces = new CorpusChunker(model).Chunk(new CorpusLine(text, 3));
        Assert.Equal(3, pieces.Count);
        Assert.All(pieces, p => { Assert.True(p.Split); Assert.False(p.Tokens.Truncated); Assert.Equal(3, p.SourceLine); });
        Assert.Equal(sentences[0] + " " + sentences[1], pieces[0].Text);
        Assert.Equal(sentences[4], pieces[2].Text);
        Assert.Equal(text.Split(' '), pieces.SelectMany(p => p.Text.Split(' ')));
    }

    [Fact]
    public void LongSentence_IsSplitAtWords()
    {
        var model = new FakeModel(maxPositions: 24);
        string text = Words(100);
        var pieces = new CorpusChunker(model).Chunk(new CorpusLine(text, 1));
        Assert.Equal([22, 22, 22, 22, 12], pieces.Select(p => p.Tokens.Ids.Length - 2));
        Assert.Equal(text, string.Join(' ', pieces.Select(p => p.Text)));
    }

    [Fact]
    public void SentenceSplitter_SplitsOnEndPunctuationBeforeCapitalOrQuote()
    {
        var s = SentenceSplitter.Split("Call me Ishmael. Some years ago—never mind! \"Whale?\" he said. and so on. The end");
        Assert.Equal(["Call me Ishmael.", "Some years ago—never mind!", "\"Whale?\" he said. and so on.", "The end"], s);
    }
}
