using Apache.Arrow;
using Apache.Arrow.Ipc;
using Apache.Arrow.Types;

namespace HeadAtlas.Atlas;

/// <summary>One row of sentences.arrow.</summary>
public sealed record SentenceRow(int Sentence, string Text, int SourceLine, int FirstToken, int Length, bool Truncated);

/// <summary>
/// Writes the files of a run folder (docs/run-format.md) as Arrow IPC files. Every file is written under
/// "{name}.tmp" and renamed when complete, so a file that exists is whole.
/// </summary>
public static class RunWriter
{
    public const string TempSuffix = ".tmp";

    public static void WriteManifest(string path, RunManifest manifest) =>
        WriteAtomically(path, stream =>
        {
            using var w = new StreamWriter(stream, leaveOpen: true);
            w.Write(manifest.ToJson());
        });

    public static void WriteSentences(string path, IReadOnlyList<SentenceRow> rows)
    {
        var schema = new Schema.Builder()
            .Field(Field("sentence", Int32Type.Default))
            .Field(Field("text", StringType.Default))
            .Field(Field("source_line", Int32Type.Default))
            .Field(Field("first_token", Int32Type.Default))
            .Field(Field("length", Int32Type.Default))
            .Field(Field("truncated", BooleanType.Default))
            .Build();
        IArrowArray[] columns =
        [
            Ints(rows.Select(r => r.Sentence)),
            new StringArray.Builder().AppendRange(rows.Select(r => r.Text)).Build(),
            Ints(rows.Select(r => r.SourceLine)),
            Ints(rows.Select(r => r.FirstToken)),
            Ints(rows.Select(r => r.Length)),
            Bools(rows.Select(r => r.Truncated)),
        ];
        WriteBatch(path, new RecordBatch(schema, columns, rows.Count));
    }

    /// <summary>tokens.arrow: one row per token, from the tokenized sentences in corpus order.</summary>
    public static void WriteTokens(string path, IReadOnlyList<CorpusSentence> sentences)
    {
        var token = new Int32Array.Builder(); var sentence = new Int32Array.Builder(); var position = new Int32Array.Builder();
        var positionNorm = new FloatArray.Builder(); var text = new StringArray.Builder(); var tokenId = new Int32Array.Builder();
        var isSpecial = new BooleanArray.Builder(); var isPunct = new BooleanArray.Builder();
        var tokenLength = new Int32Array.Builder(); var sentenceLength = new Int32Array.Builder();
        int row = 0;
        for (int s = 0; s < sentences.Count; s++)
        {
            var t = sentences[s].Tokens;
            int len = t.Ids.Length;
            for (int p = 0; p < len; p++)
            {
                token.Append(row++); sentence.Append(s); position.Append(p);
                positionNorm.Append(len > 1 ? (float)p / (len - 1) : 0f);
                text.Append(t.Tokens[p]); tokenId.Append(t.Ids[p]); isSpecial.Append(t.IsSpecial[p]);
                string bare = t.Tokens[p].StartsWith("##", StringComparison.Ordinal) && t.Tokens[p].Length > 2 ? t.Tokens[p][2..] : t.Tokens[p];
                isPunct.Append(!t.IsSpecial[p] && bare.Length > 0 && bare.All(char.IsPunctuation));
                tokenLength.Append(bare.Length); sentenceLength.Append(len);
            }
        }
        var schema = new Schema.Builder()
            .Field(Field("token", Int32Type.Default)).Field(Field("sentence", Int32Type.Default))
            .Field(Field("position", Int32Type.Default)).Field(Field("position_norm", FloatType.Default))
            .Field(Field("text", StringType.Default)).Field(Field("token_id", Int32Type.Default))
            .Field(Field("is_special", BooleanType.Default)).Field(Field("is_punct", BooleanType.Default))
            .Field(Field("token_length", Int32Type.Default)).Field(Field("sentence_length", Int32Type.Default))
            .Build();
        IArrowArray[] columns =
        [
            token.Build(), sentence.Build(), position.Build(), positionNorm.Build(), text.Build(), tokenId.Build(),
            isSpecial.Build(), isPunct.Build(), tokenLength.Build(), sentenceLength.Build(),
        ];
        WriteBatch(path, new RecordBatch(schema, columns, row));
    }

    /// <summary>qk.arrow: q, k [n, dHead] row-major, raw (before normalization), and their row norms.</summary>
    public static void WriteQk(string path, float[] q, float[] k, int n, int dHead)
    {
        var listType = new FixedSizeListType(new Field("item", FloatType.Default, nullable: false), dHead);
        var schema = new Schema.Builder()
            .Field(new Field("q", listType, nullable: false)).Field(new Field("k", listType, nullable: false))
            .Field(Field("q_norm", FloatType.Default)).Field(Field("k_norm", FloatType.Default))
            .Build();
        IArrowArray[] columns =
        [
            new FixedSizeListArray(listType, n, Floats(q), ArrowBuffer.Empty),
            new FixedSizeListArray(listType, n, Floats(k), ArrowBuffer.Empty),
            Floats(RowNorms(q, n, dHead)),
            Floats(RowNorms(k, n, dHead)),
        ];
        WriteBatch(path, new RecordBatch(schema, columns, n));
    }

    /// <summary>attention.arrow: row t is weights[offsets[t] .. offsets[t+1]) (offsets: [n + 1]).</summary>
    public static void WriteAttention(string path, float[] weights, int[] offsets, int n)
    {
        var listType = new ListType(new Field("item", FloatType.Default, nullable: false));
        var schema = new Schema.Builder().Field(new Field("weights", listType, nullable: false)).Build();
        var offsetBuffer = new ArrowBuffer.Builder<int>(n + 1).Append(offsets.AsSpan(0, n + 1)).Build();
        var column = new ListArray(listType, n, offsetBuffer, Floats(weights.AsSpan(0, offsets[n])), ArrowBuffer.Empty);
        WriteBatch(path, new RecordBatch(schema, [column], n));
    }

    /// <summary>A projection file: coords [rows, dims] row-major (rows = 2N: queries then keys), centered here.</summary>
    public static void WriteProjection(string path, float[] coords, int rows, int dims)
    {
        if (dims is < 2 or > 3) throw new ArgumentOutOfRangeException(nameof(dims));
        var builder = new Schema.Builder();
        var columns = new IArrowArray[dims];
        string[] names = ["x", "y", "z"];
        for (int d = 0; d < dims; d++)
        {
            var column = new float[rows];
            double mean = 0;
            for (int r = 0; r < rows; r++) mean += coords[r * dims + d];
            mean /= Math.Max(rows, 1);
            for (int r = 0; r < rows; r++) column[r] = (float)(coords[r * dims + d] - mean);
            builder.Field(Field(names[d], FloatType.Default));
            columns[d] = Floats(column);
        }
        WriteBatch(path, new RecordBatch(builder.Build(), columns, rows));
    }

    public static float[] RowNorms(float[] x, int n, int d)
    {
        var norms = new float[n]; // [n]
        for (int i = 0; i < n; i++)
            norms[i] = MathF.Sqrt(System.Numerics.Tensors.TensorPrimitives.SumOfSquares<float>(x.AsSpan(i * d, d)));
        return norms;
    }

    internal static void WriteBatch(string path, RecordBatch batch) =>
        WriteAtomically(path, stream =>
        {
            using var writer = new ArrowFileWriter(stream, batch.Schema, leaveOpen: true);
            writer.WriteRecordBatch(batch);
            writer.WriteEnd();
            // Apache.Arrow frees a built buffer's native memory from a finalizer once nothing holds the array, but
            // the writer keeps only views of that memory: keep the batch alive until its bytes are written.
            // (One ViT-B build failed here with "IOException: Bad address" — memory freed mid-write, suspected.)
            GC.KeepAlive(batch);
        });

    /// <summary>Writes to "{path}.tmp", flushes to disk, then renames onto <paramref name="path"/>.</summary>
    public static void WriteAtomically(string path, Action<Stream> write)
    {
        string temp = path + TempSuffix;
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { }
            throw;
        }
    }

    internal static Field Field(string name, IArrowType type) => new(name, type, nullable: false);

    internal static Int32Array Ints(IEnumerable<int> values) => new Int32Array.Builder().AppendRange(values).Build();

    internal static BooleanArray Bools(IEnumerable<bool> values) => new BooleanArray.Builder().AppendRange(values).Build();

    internal static FloatArray Floats(ReadOnlySpan<float> values) =>
        new(new ArrowBuffer.Builder<float>(values.Length).Append(values).Build(), ArrowBuffer.Empty, values.Length, 0, 0);
}
