using System.Text;

namespace HeadAtlas.Atlas.Tests;

public class CorpusReaderTests
{
    [Fact]
    public void TextFile_SkipsBlankLines_AndKeepsLineNumbers()
    {
        using var dir = new TempDir();
        var path = dir.Write("c.txt", "\uFEFFCall me Ishmael.\r\n\r\n   \nSome years ago.\nnever mind");
        var corpus = CorpusReader.Read(path);
        Assert.Equal(["Call me Ishmael.", "Some years ago.", "never mind"], corpus.Lines.Select(l => l.Text));
        Assert.Equal([1, 4, 5], corpus.Lines.Select(l => l.Line));
        Assert.Equal(64, corpus.Sha256.Length);
        Assert.Equal(Path.GetFullPath(path), corpus.Source);
    }

    [Fact]
    public void Jsonl_ReadsTextField()
    {
        using var dir = new TempDir();
        var path = dir.Write("c.jsonl", "{\"text\": \"first\", \"id\": 3}\n\n{\"text\": \"sec\\nond\"}\n");
        var corpus = CorpusReader.Read(path);
        Assert.Equal(["first", "sec\nond"], corpus.Lines.Select(l => l.Text));
        Assert.Equal([1, 3], corpus.Lines.Select(l => l.Line));
    }

    [Fact]
    public void Sha256_DependsOnBytes()
    {
        using var dir = new TempDir();
        var a = CorpusReader.Read(dir.Write("a.txt", "one\ntwo\n"));
        var b = CorpusReader.Read(dir.Write("b.txt", "one\ntwo\n"));
        var c = CorpusReader.Read(dir.Write("c.txt", "one\ntwo!\n"));
        Assert.Equal(a.Sha256, b.Sha256);
        Assert.NotEqual(a.Sha256, c.Sha256);
    }

    [Fact]
    public void MissingFile_IsNamed()
    {
        var e = Assert.Throws<CorpusInputException>(() => CorpusReader.Read("/nonexistent/corpus.txt"));
        Assert.Contains("/nonexistent/corpus.txt", e.Message);
        Assert.Contains("does not exist", e.Message);
    }

    [Fact]
    public void EmptyCorpus_IsAnError()
    {
        using var dir = new TempDir();
        var path = dir.Write("empty.txt", "\n  \n\t\n");
        var e = Assert.Throws<CorpusInputException>(() => CorpusReader.Read(path));
        Assert.Contains("empty.txt", e.Message);
        Assert.Contains("no text", e.Message);
    }

    [Fact]
    public void BinaryFile_NamesLine()
    {
        using var dir = new TempDir();
        var path = dir.WriteBytes("b.txt", [.. "ok\nfine\n"u8, 0x41, 0x00, 0x42]);
        var e = Assert.Throws<CorpusInputException>(() => CorpusReader.Read(path));
        Assert.Contains("b.txt", e.Message);
        Assert.Contains("binary", e.Message);
        Assert.Contains("line 3", e.Message);
        Assert.Contains("byte column 2", e.Message);
    }

    [Fact]
    public void InvalidUtf8_NamesLineAndByteColumn()
    {
        using var dir = new TempDir();
        var path = dir.WriteBytes("u.txt", [.. "good\n"u8, .. "caf"u8, 0xC3, 0x28, .. " au lait\n"u8]);
        var e = Assert.Throws<CorpusInputException>(() => CorpusReader.Read(path));
        Assert.Contains("u.txt", e.Message);
        Assert.Contains("UTF-8", e.Message);
        Assert.Contains("line 2", e.Message);
        Assert.Contains("byte column 4", e.Message);
    }

    [Theory]
    [InlineData("{\"text\": \"fine\"}\n{not json}\n", "line 2", "not valid JSON")]
    [InlineData("{\"text\": \"fine\"}\n\n{\"body\": \"x\"}\n", "line 3", "no \"text\"")]
    [InlineData("{\"text\": 42}\n", "line 1", "number")]
    [InlineData("[\"text\"]\n", "line 1", "not an object")]
    public void BadJsonl_NamesLine(string content, string line, string what)
    {
        using var dir = new TempDir();
        var path = dir.Write("bad.jsonl", content);
        var e = Assert.Throws<CorpusInputException>(() => CorpusReader.Read(path));
        Assert.Contains("bad.jsonl", e.Message);
        Assert.Contains(line, e.Message);
        Assert.Contains(what, e.Message);
    }
}
