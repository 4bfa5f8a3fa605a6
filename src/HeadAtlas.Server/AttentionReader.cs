using System.Collections.Concurrent;
using Apache.Arrow;
using Apache.Arrow.Ipc;

namespace HeadAtlas.Server;

/// <summary>
/// Reads one sentence's attention pattern for one head from heads/L{l}_H{h}/attention.arrow, with the token texts
/// from tokens.arrow. Files are read once and kept (a run's files never change once they exist).
/// </summary>
public sealed class AttentionReader(ServedRun run)
{
    private readonly Lazy<(int[] First, int[] Length)> _sentences = new(() => ReadSentences(run.Root));
    private readonly Lazy<string[]> _tokenTexts = new(() => ReadTokenTexts(run.Root));
    private readonly ConcurrentDictionary<string, Lazy<float[][]>> _attention = new();

    public int SentenceCount => _sentences.Value.First.Length;

    public sealed record SentenceAttention(int Sentence, string[] Tokens, float[][] Weights);

    /// <summary>Weights are [q_pos][k_pos] over the sentence's tokens.</summary>
    public SentenceAttention Read(ServedRun.HeadEntry head, int sentence)
    {
        var (first, length) = _sentences.Value;
        int start = first[sentence], len = length[sentence];
        var rows = _attention.GetOrAdd(head.Key,
            _ => new Lazy<float[][]>(() => ReadAttention(Path.Combine(run.Root, head.Dir, "attention.arrow")))).Value;
        var tokens = _tokenTexts.Value[start..(start + len)];
        var weights = rows[start..(start + len)];
        return new SentenceAttention(sentence, tokens, weights);
    }

    private static IEnumerable<RecordBatch> Batches(string path)
    {
        using var stream = File.OpenRead(path);
        using var reader = new ArrowFileReader(stream);
        while (reader.ReadNextRecordBatch() is { } batch)
            yield return batch;
    }

    private static T Column<T>(RecordBatch batch, string name, string path) where T : class, IArrowArray =>
        batch.Column(name) as T
        ?? throw new ServerInputException($"{path}: column '{name}' is missing or not {typeof(T).Name}");

    private static (int[] First, int[] Length) ReadSentences(string root)
    {
        var path = Path.Combine(root, "sentences.arrow");
        List<int> first = [], length = [];
        foreach (var batch in Batches(path))
        {
            var f = Column<Int32Array>(batch, "first_token", path);
            var l = Column<Int32Array>(batch, "length", path);
            for (int i = 0; i < batch.Length; i++)
            {
                first.Add(f.GetValue(i) ?? 0);
                length.Add(l.GetValue(i) ?? 0);
            }
        }
        return (first.ToArray(), length.ToArray());
    }

    private static string[] ReadTokenTexts(string root)
    {
        var path = Path.Combine(root, "tokens.arrow");
        var texts = new List<string>();
        foreach (var batch in Batches(path))
        {
            var text = Column<StringArray>(batch, "text", path);
            for (int i = 0; i < batch.Length; i++)
                texts.Add(text.GetString(i) ?? "");
        }
        return texts.ToArray();
    }

    /// <summary>One float row per token (its attention as a query over its sentence).</summary>
    private static float[][] ReadAttention(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path} is missing", path);
        var rows = new List<float[]>();
        foreach (var batch in Batches(path))
        {
            var list = Column<ListArray>(batch, "weights", path);
            var values = list.Values as FloatArray
                         ?? throw new ServerInputException($"{path}: column 'weights' must be list<float32>");
            var offsets = list.ValueOffsets; // [rows + 1], already shifted by the list's slice offset
            var all = values.Values;         // every weight of the batch, flat
            for (int i = 0; i < list.Length; i++)
                rows.Add(all[offsets[i]..offsets[i + 1]].ToArray());
        }
        return rows.ToArray();
    }
}
