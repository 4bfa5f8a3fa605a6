using Microsoft.ML.Tokenizers;

namespace HeadAtlas.Models.Tokenization;

/// <summary>
/// WordPiece tokenization for BERT models (Microsoft.ML.Tokenizers' BertTokenizer), framed as
/// [CLS] tokens... [SEP] and truncated to the model's positions.
/// </summary>
public sealed class BertTextTokenizer
{
    private readonly BertTokenizer _tokenizer;
    private readonly string[] _vocab; // id → token text, as in vocab.txt
    private readonly bool _lowerCase;

    public BertTextTokenizer(string[] vocab, bool lowerCase, int maxPositions)
    {
        _vocab = vocab;
        MaxPositions = maxPositions;
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(string.Join('\n', vocab) + "\n"));
        _lowerCase = lowerCase;
        // Basic tokenization (cleaning, case, accents, punctuation) is ours, see BertPreTokenizer; the library runs
        // WordPiece on the space-separated words it gets. Text that looks like a special token ("[SEP]") stays text.
        _tokenizer = BertTokenizer.Create(stream, new BertOptions
        {
            ApplyBasicTokenization = false,
            LowerCaseBeforeTokenization = false,
            SplitOnSpecialTokens = false,
        });
        ClsId = _tokenizer.ClassificationTokenId;
        SepId = _tokenizer.SeparatorTokenId;
    }

    /// <summary>Reads a vocab.txt stream: one token per line, the line number (from 0) is its id.</summary>
    public static BertTextTokenizer FromVocab(Stream vocabStream, string source, bool lowerCase, int maxPositions)
    {
        var lines = new List<string>();
        using (var reader = new StreamReader(vocabStream))
            for (string? line; (line = reader.ReadLine()) is not null;) lines.Add(line);
        if (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        foreach (var special in new[] { "[CLS]", "[SEP]", "[UNK]" })
            if (!lines.Contains(special)) throw new ModelException($"{source}: vocabulary has no '{special}' line: not a BERT vocab.txt");
        return new BertTextTokenizer([.. lines], lowerCase, maxPositions);
    }

    public int MaxPositions { get; }
    public int ClsId { get; }
    public int SepId { get; }
    public int VocabSize => _vocab.Length;

    /// <summary>Display text of token <paramref name="id"/> as in the vocabulary ("whale", "##s", "[CLS]").</summary>
    public string TokenText(int id) => id >= 0 && id < _vocab.Length ? _vocab[id] : $"<{id}>";

    public TokenizedText Tokenize(string text)
    {
        string words = string.Join(' ', BertPreTokenizer.Split(text, _lowerCase));
        var pieces = _tokenizer.EncodeToIds(words, addSpecialTokens: false); // without [CLS]/[SEP]
        int room = MaxPositions - 2;
        bool truncated = pieces.Count > room;
        int n = Math.Min(pieces.Count, room) + 2;
        var ids = new int[n];
        var isSpecial = new bool[n];
        ids[0] = ClsId;
        isSpecial[0] = true;
        for (int i = 1; i < n - 1; i++) ids[i] = pieces[i - 1];
        ids[n - 1] = SepId;
        isSpecial[n - 1] = true;
        var tokens = ids.Select(TokenText).ToArray();
        return new TokenizedText(ids, tokens, isSpecial, truncated);
    }
}
