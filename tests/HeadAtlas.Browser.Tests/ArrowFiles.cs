using Apache.Arrow;
using Apache.Arrow.Ipc;
using Apache.Arrow.Types;

namespace HeadAtlas.Browser.Tests;

/// <summary>Writes and reads the Arrow IPC files of a run (tests only; the build pipeline has its own writer).</summary>
public static class ArrowFiles
{
    /// <summary>Writes one record batch under a temporary name, then renames it, as docs/run-format.md asks.</summary>
    public static void Write(string path, RecordBatch batch)
    {
        var tmp = path + ".tmp";
        using (var stream = File.Create(tmp))
        using (var writer = new ArrowFileWriter(stream, batch.Schema))
        {
            writer.WriteRecordBatch(batch);
            writer.WriteEnd();
        }
        File.Move(tmp, path, overwrite: true);
    }

    public static Int32Array Ints(IEnumerable<int> values) => new Int32Array.Builder().AppendRange(values).Build();
    public static FloatArray Floats(IEnumerable<float> values) => new FloatArray.Builder().AppendRange(values).Build();
    public static StringArray Strings(IEnumerable<string> values) => new StringArray.Builder().AppendRange(values).Build();
    public static BooleanArray Bools(IEnumerable<bool> values) => new BooleanArray.Builder().AppendRange(values).Build();

    /// <summary>list&lt;float32&gt;, one list per row.</summary>
    public static ListArray FloatLists(IEnumerable<float[]> rows)
    {
        var builder = new ListArray.Builder(FloatType.Default);
        var values = (FloatArray.Builder)builder.ValueBuilder;
        foreach (var row in rows)
        {
            builder.Append();
            values.AppendRange(row);
        }
        return builder.Build();
    }

    /// <summary>fixed_size_list&lt;float32&gt;[width], one vector per row.</summary>
    public static FixedSizeListArray FixedFloatLists(IEnumerable<float[]> rows, int width)
    {
        var builder = new FixedSizeListArray.Builder(FloatType.Default, width);
        var values = (FloatArray.Builder)builder.ValueBuilder;
        foreach (var row in rows)
        {
            builder.Append();
            values.AppendRange(row);
        }
        return builder.Build();
    }

    public static List<RecordBatch> ReadAll(string path)
    {
        using var stream = File.OpenRead(path);
        using var reader = new ArrowFileReader(stream);
        var batches = new List<RecordBatch>();
        while (reader.ReadNextRecordBatch() is { } batch)
            batches.Add(batch);
        return batches;
    }

    public static List<string> ReadStrings(string path, string column) =>
        ReadAll(path).SelectMany(b => Enumerable.Range(0, b.Length).Select(i => ((StringArray)b.Column(column)).GetString(i)!)).ToList();

    public static List<int> ReadInts(string path, string column) =>
        ReadAll(path).SelectMany(b => Enumerable.Range(0, b.Length).Select(i => ((Int32Array)b.Column(column)).GetValue(i)!.Value)).ToList();

    public static List<float> ReadFloats(string path, string column) =>
        ReadAll(path).SelectMany(b => Enumerable.Range(0, b.Length).Select(i => ((FloatArray)b.Column(column)).GetValue(i)!.Value)).ToList();

    /// <summary>A list&lt;float32&gt; column as one array per row.</summary>
    public static List<float[]> ReadFloatLists(string path, string column)
    {
        var rows = new List<float[]>();
        foreach (var batch in ReadAll(path))
        {
            var list = (ListArray)batch.Column(column);
            for (int i = 0; i < list.Length; i++)
            {
                var slice = (FloatArray)list.GetSlicedValues(i);
                rows.Add(Enumerable.Range(0, slice.Length).Select(j => slice.GetValue(j)!.Value).ToArray());
            }
        }
        return rows;
    }
}
