using System.Globalization;
using System.Text;

namespace HeadAtlas.Models.Tokenization;

/// <summary>
/// BERT's "basic tokenization" (what Hugging Face's BertNormalizer + BertPreTokenizer do before WordPiece): drop
/// control characters, turn every kind of whitespace into a space, put spaces around CJK ideographs, lower-case and
/// strip accents (optional), and split punctuation into its own words.
/// </summary>
/// <remarks>
/// Written here because Microsoft.ML.Tokenizers 2.0.1's own basic tokenization differs from BERT's in ways that change
/// the tokens: it deletes tabs and newlines instead of treating them as spaces ("a\tb" became one word "ab"), and
/// it drops symbols such as "🐋", "½" or "Ⅻ" where BERT keeps them as words ([UNK] or their vocabulary id).
/// </remarks>
public static class BertPreTokenizer
{
    /// <summary>The words of <paramref name="text"/>, ready for WordPiece.</summary>
    public static List<string> Split(string text, bool lowerCase)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        void EndWord()
        {
            if (word.Length == 0) return;
            string w = word.ToString();
            word.Clear();
            if (lowerCase) w = StripAccents(w.ToLowerInvariant());
            SplitPunctuation(w, words);
        }

        foreach (var rune in text.Normalize(NormalizationForm.FormC).EnumerateRunes())
        {
            int cp = rune.Value;
            if (cp == 0 || cp == 0xFFFD || IsControl(rune)) continue;
            if (IsWhitespace(rune)) { EndWord(); continue; }
            if (IsCjk(cp))
            {
                EndWord();
                words.Add(rune.ToString());
                continue;
            }
            word.Append(rune.ToString());
        }
        EndWord();
        return words;
    }

    private static bool IsWhitespace(Rune r) =>
        r.Value is ' ' or '\t' or '\n' or '\r' || Rune.GetUnicodeCategory(r) == UnicodeCategory.SpaceSeparator;

    /// <summary>Categories C* (control, format, private use, unassigned, surrogate), except tab, newline and return.</summary>
    private static bool IsControl(Rune r)
    {
        if (r.Value is '\t' or '\n' or '\r') return false;
        return Rune.GetUnicodeCategory(r) is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.PrivateUse
            or UnicodeCategory.OtherNotAssigned or UnicodeCategory.Surrogate;
    }

    /// <summary>ASCII symbols count as punctuation for BERT (e.g. "$", "^", "`"), as does every Unicode P* character.</summary>
    private static bool IsPunctuation(Rune r)
    {
        int cp = r.Value;
        if (cp is >= 33 and <= 47 or >= 58 and <= 64 or >= 91 and <= 96 or >= 123 and <= 126) return true;
        return Rune.GetUnicodeCategory(r) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;
    }

    /// <summary>The CJK Unified Ideographs blocks (not Hangul, Hiragana or Katakana, which are written with spaces).</summary>
    private static bool IsCjk(int cp) =>
        cp is >= 0x4E00 and <= 0x9FFF or >= 0x3400 and <= 0x4DBF or >= 0x20000 and <= 0x2A6DF or >= 0x2A700 and <= 0x2B73F
            or >= 0x2B740 and <= 0x2B81F or >= 0x2B820 and <= 0x2CEAF or >= 0xF900 and <= 0xFAFF or >= 0x2F800 and <= 0x2FA1F;

    private static string StripAccents(string w)
    {
        var decomposed = w.Normalize(NormalizationForm.FormD);
        var sb = new StringBuilder(decomposed.Length);
        foreach (var rune in decomposed.EnumerateRunes())
            if (Rune.GetUnicodeCategory(rune) != UnicodeCategory.NonSpacingMark) sb.Append(rune.ToString());
        return sb.ToString();
    }

    private static void SplitPunctuation(string w, List<string> into)
    {
        var current = new StringBuilder();
        foreach (var rune in w.EnumerateRunes())
        {
            if (IsPunctuation(rune))
            {
                if (current.Length > 0) { into.Add(current.ToString()); current.Clear(); }
                into.Add(rune.ToString());
            }
            else current.Append(rune.ToString());
        }
        if (current.Length > 0) into.Add(current.ToString());
    }
}
