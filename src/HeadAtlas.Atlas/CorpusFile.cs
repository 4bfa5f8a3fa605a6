namespace HeadAtlas.Atlas;

/// <summary>One text of a corpus and the 1-based line of the file it was read from.</summary>
public sealed record CorpusLine(string Text, int Line);

/// <summary>A corpus as read from disk: its texts in file order, where it came from and the SHA-256 of its bytes.</summary>
public sealed record CorpusFile(string Source, string Sha256, IReadOnlyList<CorpusLine> Lines);
