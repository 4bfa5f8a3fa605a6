using System.Text;
using HeadAtlas.Models;

namespace HeadAtlas.Atlas;

/// <summary>One sequence the model will see: a corpus text, or a piece of one that was too long.</summary>
/// <param name="Split">True when the corpus line was longer than the model's positions and this is one piece of it.</param>
public sealed record CorpusSentence(string Text, int SourceLine, bool Split, TokenizedText Tokens);

/// <summary>
/// Fits corpus texts to the model's positions without dropping text: a text whose tokens do not fit is cut into
/// consecutive pieces that do, at sentence boundaries where possible, else at whitespace, else between characters.
/// Each piece is an exact substring of the text.
/// </summary>
public sealed class CorpusChunker(ITransformerModel model)
{
    /// <summary>The texts of <paramref name="line"/> as the model will see them (one, unless it was too long).</summary>
    public List<CorpusSentence> Chunk(CorpusLine line)
    {
        var whole = model.Tokenize(line.Text);
        if (!whole.Truncated) return [new CorpusSentence(line.Text, line.Line, false, whole)];

        var pieces = new List<(int Start, int End)>();
        PackInto(line.Text, SentenceSplitter.Ranges(line.Text), Level.Sentences, pieces);
        return pieces.Select(p =>
        {
            string text = line.Text[p.Start..p.End];
            return new CorpusSentence(text, line.Line, true, model.Tokenize(text));
        }).ToList();
    }

    private enum Level { Sentences, Words, Characters }

    /// <summary>Greedily joins consecutive units into the longest pieces that fit; a unit that alone does not fit
    /// is broken into the next finer units.</summary>
    private void PackInto(string text, List<(int Start, int End)> units, Level level, List<(int, int)> pieces)
    {
        int i = 0;
        while (i < units.Count)
        {
            if (!Fits(text, units[i].Start, units[i].End))
            {
                if (level == Level.Characters) throw new InvalidOperationException("a single character does not fit the model's positions");
                var finer = level == Level.Sentences ? WordRanges(text, units[i]) : CharRanges(text, units[i]);
                PackInto(text, finer, level + 1, pieces);
                i++;
                continue;
            }
            // Gallop then binary-search for the last unit j such that units[i..j] fits: O(log) tokenizations.
            int good = i, step = 1, bad = -1;
            while (good < units.Count - 1)
            {
                int j = Math.Min(good + step, units.Count - 1);
                if (Fits(text, units[i].Start, units[j].End)) { good = j; step *= 2; }
                else { bad = j; break; }
            }
            if (bad > 0)
                while (bad - good > 1)
                {
                    int mid = (good + bad) / 2;
                    if (Fits(text, units[i].Start, units[mid].End)) good = mid; else bad = mid;
                }
            pieces.Add((units[i].Start, units[good].End));
            i = good + 1;
        }
    }

    private bool Fits(string text, int start, int end) => !model.Tokenize(text[start..end]).Truncated;

    private static List<(int, int)> WordRanges(string text, (int Start, int End) range)
    {
        var words = new List<(int, int)>();
        int i = range.Start;
        while (i < range.End)
        {
            while (i < range.End && char.IsWhiteSpace(text[i])) i++;
            int s = i;
            while (i < range.End && !char.IsWhiteSpace(text[i])) i++;
            if (i > s) words.Add((s, i));
        }
        return words;
    }

    private static List<(int, int)> CharRanges(string text, (int Start, int End) range)
    {
        var chars = new List<(int, int)>();
        for (int i = range.Start; i < range.End;)
        {
            int n = Rune.DecodeFromUtf16(text.AsSpan(i, range.End - i), out _, out int used) == System.Buffers.OperationStatus.Done ? used : 1;
            chars.Add((i, i + n));
            i += n;
        }
        return chars;
    }
}
