using Apache.Arrow;
using Apache.Arrow.Ipc;

namespace HeadAtlas.Atlas;

/// <summary>Reads a run folder written by <see cref="RunWriter"/>.</summary>
public static class RunReader
{
    public const string ManifestFile = "manifest.json";

    public static RunManifest ReadManifest(string runDir)
    {
        string path = Path.Combine(runDir, ManifestFile);
        if (!File.Exists(path)) throw new BuildInputException($"'{runDir}' is not a HeadAtlas run: it has no {ManifestFile}");
        return RunManifest.FromJson(File.ReadAllText(path), path);
    }

    /// <summary>The whole table of one Arrow IPC file (its record batches concatenated into one).</summary>
    public static RecordBatch ReadTable(string path)
    {
        var bytes = File.ReadAllBytes(path);
        using var reader = new ArrowFileReader(new MemoryStream(bytes));
        var batches = new List<RecordBatch>();
        while (reader.ReadNextRecordBatch() is { } batch) batches.Add(batch);
        if (batches.Count == 1) return batches[0];
        var schema = reader.Schema;
        var columns = new IArrowArray[schema.FieldsList.Count];
        for (int c = 0; c < columns.Length; c++)
            columns[c] = ArrowArrayConcatenator.Concatenate(batches.Select(b => b.Column(c)).ToList());
        return new RecordBatch(schema, columns, batches.Sum(b => b.Length));
    }

    /// <summary>The raw q and k of a head: each [n, dHead] row-major.</summary>
    public static (float[] Q, float[] K, int N, int DHead) ReadQk(string headDir)
    {
        var table = ReadTable(Path.Combine(headDir, "qk.arrow"));
        var q = (FixedSizeListArray)table.Column("q");
        var k = (FixedSizeListArray)table.Column("k");
        int dHead = ((Apache.Arrow.Types.FixedSizeListType)q.Data.DataType).ListSize;
        return (FloatsOf(q, dHead), FloatsOf(k, dHead), table.Length, dHead);
    }

    /// <summary>A projection file's coordinates: [rows, dims] row-major (columns x, y and, in 3D, z).</summary>
    public static (float[] Coords, int Rows, int Dims) ReadProjection(string path)
    {
        var table = ReadTable(path);
        int dims = table.Schema.FieldsList.Count, rows = table.Length;
        var coords = new float[rows * dims]; // [rows, dims]
        for (int d = 0; d < dims; d++)
        {
            var column = ((FloatArray)table.Column(d)).Values;
            for (int r = 0; r < rows; r++) coords[r * dims + d] = column[r];
        }
        return (coords, rows, dims);
    }

    /// <summary>Projections present for a head now (files that exist are whole).</summary>
    public static List<string> ReadyProjections(string runDir, RunManifest manifest, ManifestHead head) =>
        manifest.Projections.Where(p => File.Exists(Path.Combine(runDir, head.Dir, p + ".arrow"))).ToList();

    private static float[] FloatsOf(FixedSizeListArray list, int size)
    {
        var values = (FloatArray)list.Values;
        return values.Values.Slice(list.Offset * size, list.Length * size).ToArray();
    }
}
