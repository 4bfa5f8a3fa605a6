using System.Text;

namespace HeadAtlas.Models.Tokenization;

/// <summary>
/// Display text of SentencePiece-style pieces (tokenizer.model, or a Hugging Face tokenizer.json with byte fallback):
/// "▁" shows as a space (" the", as GPT-2's " the"); a byte piece shows as its name and the character its run of
/// bytes spells, "&lt;0xF0:🐋&gt;" ... "&lt;0x8B:🐋&gt;", or as its name alone for a byte of an incomplete or invalid
/// sequence or of an invisible character (tab, newline).
/// </summary>
public static class PieceDisplay
{
    public const char Metaspace = '\u2581'; // "▁", SentencePiece's visible space

    /// <param name="text">id → how a non-byte piece shows (already with ▁ as a space where wanted).</param>
    /// <param name="byteOf">id → the byte a byte piece stands for, or -1 for any other piece.</param>
    public static string[] Show(IReadOnlyList<int> ids, Func<int, string> text, Func<int, int> byteOf)
    {
        var shown = new string[ids.Count];
        for (int i = 0; i < ids.Count;)
        {
            if (byteOf(ids[i]) < 0) { shown[i] = text(ids[i]); i++; continue; }
            int end = i; // the run of byte pieces [i, end)
            while (end < ids.Count && byteOf(ids[end]) >= 0) end++;
            var run = new byte[end - i];
            for (int j = i; j < end; j++) run[j - i] = (byte)byteOf(ids[j]);
            for (int at = 0; at < run.Length;)
            {
                var status = Rune.DecodeFromUtf8(run.AsSpan(at), out Rune rune, out int used);
                used = Math.Max(used, 1);
                bool visible = status == System.Buffers.OperationStatus.Done && !Rune.IsControl(rune) && !Rune.IsWhiteSpace(rune);
                for (int k = 0; k < used; k++)
                    shown[i + at + k] = visible ? $"<0x{run[at + k]:X2}:{rune}>" : $"<0x{run[at + k]:X2}>";
                at += used;
            }
            i = end;
        }
        return shown;
    }

    /// <summary>The byte a piece named "&lt;0xHH&gt;" stands for, or -1.</summary>
    public static int ByteOfName(string piece) =>
        piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal) && piece[5] == '>'
        && byte.TryParse(piece.AsSpan(3, 2), System.Globalization.NumberStyles.HexNumber, null, out byte b) ? b : -1;
}
