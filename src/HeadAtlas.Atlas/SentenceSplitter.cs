namespace HeadAtlas.Atlas;

/// <summary>
/// A deliberately simple sentence splitter: a sentence ends at '.', '!' or '?' (optionally followed by closing
/// quotes or brackets) when whitespace and then an uppercase letter or an opening quote follow. It does not know
/// abbreviations ("Mr. Starbuck" is split); that is fine for a demo corpus and for cutting over-long texts.
/// </summary>
public static class SentenceSplitter
{
    private const string ClosingMarks = "\"'”’)]";
    private const string OpeningQuotes = "\"'“‘";

    /// <summary>Index ranges [start, end) of the sentences of <paramref name="text"/>, trimmed of surrounding whitespace.</summary>
    public static List<(int Start, int End)> Ranges(string text)
    {
        var ranges = new List<(int, int)>();
        int start = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] is not ('.' or '!' or '?')) continue;
            int end = i + 1;
            while (end < text.Length && ClosingMarks.Contains(text[end])) end++;
            int next = end;
            while (next < text.Length && char.IsWhiteSpace(text[next])) next++;
            if (next == end || next >= text.Length) continue;
            if (!char.IsUpper(text[next]) && !OpeningQuotes.Contains(text[next])) continue;
            AddTrimmed(text, start, end, ranges);
            start = next;
            i = next - 1;
        }
        AddTrimmed(text, start, text.Length, ranges);
        return ranges;
    }

    public static List<string> Split(string text) => Ranges(text).Select(r => text[r.Start..r.End]).ToList();

    private static void AddTrimmed(string text, int start, int end, List<(int, int)> ranges)
    {
        while (start < end && char.IsWhiteSpace(text[start])) start++;
        while (end > start && char.IsWhiteSpace(text[end - 1])) end--;
        if (end > start) ranges.Add((start, end));
    }
}
