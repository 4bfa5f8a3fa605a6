using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace HeadAtlas.Atlas;

/// <summary>
/// Reads a corpus file: plain text (one text per line) or, for a <c>.jsonl</c> file, one JSON object per line
/// with a string field <c>text</c>. Blank lines are skipped. Every problem is one <see cref="CorpusInputException"/>
/// naming the file and line.
/// </summary>
public static class CorpusReader
{
    public static CorpusFile Read(string path)
    {
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new CorpusInputException($"corpus '{path}' is a folder; expected a text file (one text per line) or a .jsonl file");
        if (!File.Exists(full)) throw new CorpusInputException($"corpus file '{path}' does not exist");
        byte[] bytes = File.ReadAllBytes(full);
        string sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        bool jsonl = full.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase);

        var lines = new List<CorpusLine>();
        int start = bytes.AsSpan().StartsWith(Encoding.UTF8.Preamble) ? 3 : 0;
        int lineNo = 0;
        while (start <= bytes.Length)
        {
            lineNo++;
            int nl = bytes.AsSpan(start).IndexOf((byte)'\n');
            int end = nl < 0 ? bytes.Length : start + nl;
            var raw = bytes.AsSpan(start, end - start);
            if (raw.Length > 0 && raw[^1] == (byte)'\r') raw = raw[..^1];
            string text = DecodeLine(raw, path, lineNo);
            if (!string.IsNullOrWhiteSpace(text))
            {
                if (jsonl) text = TextOfJsonLine(text, path, lineNo);
                if (!string.IsNullOrWhiteSpace(text)) lines.Add(new CorpusLine(text, lineNo));
            }
            if (nl < 0) break;
            start = end + 1;
        }
        if (lines.Count == 0)
            throw new CorpusInputException(jsonl
                ? $"corpus file '{path}' has no text: no line holds an object with a non-empty \"text\""
                : $"corpus file '{path}' has no text: every line is blank");
        return new CorpusFile(full, sha, lines);
    }

    private static string DecodeLine(ReadOnlySpan<byte> raw, string path, int lineNo)
    {
        int nul = raw.IndexOf((byte)0);
        if (nul >= 0)
            throw new CorpusInputException($"corpus file '{path}' looks binary: NUL byte on line {lineNo}, byte column {nul + 1}; expected UTF-8 text");
        char[] buffer = ArrayPool<char>.Shared.Rent(raw.Length + 1);
        try
        {
            var status = Utf8.ToUtf16(raw, buffer, out int read, out int written, replaceInvalidSequences: false);
            if (status != System.Buffers.OperationStatus.Done)
                throw new CorpusInputException($"corpus file '{path}' is not valid UTF-8: line {lineNo}, byte column {read + 1}");
            return new string(buffer, 0, written);
        }
        finally { ArrayPool<char>.Shared.Return(buffer); }
    }

    private static string TextOfJsonLine(string line, string path, int lineNo)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(line); }
        catch (JsonException e)
        {
            throw new CorpusInputException($"corpus file '{path}' line {lineNo} is not valid JSON ({e.Message.Split('.')[0]}); each line of a .jsonl corpus must be an object like {{\"text\": \"...\"}}");
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new CorpusInputException($"corpus file '{path}' line {lineNo} is a JSON {doc.RootElement.ValueKind.ToString().ToLowerInvariant()}, not an object; expected {{\"text\": \"...\"}}");
            if (!doc.RootElement.TryGetProperty("text", out var text))
                throw new CorpusInputException($"corpus file '{path}' line {lineNo} has no \"text\" field");
            if (text.ValueKind != JsonValueKind.String)
                throw new CorpusInputException($"corpus file '{path}' line {lineNo}: \"text\" is a {text.ValueKind.ToString().ToLowerInvariant()}, expected a string");
            return text.GetString()!;
        }
    }
}
