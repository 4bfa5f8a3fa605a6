using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace HeadAtlas.Projection;

/// <summary>A point cloud read from a file: row-major [N, D].</summary>
public sealed record PointMatrix(float[] Data, int N, int D);

/// <summary>Reads points from CSV (no header, one row per point) or .npy (2-D float32/float64), and writes CSV.</summary>
public static class PointFiles
{
    public static PointMatrix Read(string path)
    {
        if (!File.Exists(path)) throw new ProjectionInputException($"{path}: file not found");
        var matrix = path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase) ? ReadNpy(path) : ReadCsv(path);
        for (int i = 0; i < matrix.N; i++)
            for (int j = 0; j < matrix.D; j++)
                if (!float.IsFinite(matrix.Data[i * matrix.D + j]))
                    throw new ProjectionInputException($"{path}: row {i + 1}, column {j + 1} is {matrix.Data[i * matrix.D + j]} (values must be finite)");
        return matrix;
    }

    public static PointMatrix ReadCsv(string path)
    {
        var data = new List<float>();
        int d = -1, n = 0, lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (line.Trim().Length == 0) continue;
            var fields = line.Split(',');
            if (d < 0) d = fields.Length;
            else if (fields.Length != d)
                throw new ProjectionInputException($"{path}: line {lineNumber} has {fields.Length} columns, expected {d} like the first row");
            for (int j = 0; j < fields.Length; j++)
            {
                if (!float.TryParse(fields[j].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
                    throw new ProjectionInputException($"{path}: line {lineNumber}, column {j + 1}: '{fields[j].Trim()}' is not a number");
                if (!float.IsFinite(v))
                    throw new ProjectionInputException($"{path}: line {lineNumber} (row {n + 1}), column {j + 1} is {fields[j].Trim()} (values must be finite)");
                data.Add(v);
            }
            n++;
        }
        if (n == 0) throw new ProjectionInputException($"{path}: no rows");
        return new PointMatrix(data.ToArray(), n, d);
    }

    /// <summary>NumPy .npy v1–v3, C order, 2-D, little- or big-endian float32 ('f4') or float64 ('f8').</summary>
    public static PointMatrix ReadNpy(string path)
    {
        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream);
        var magic = reader.ReadBytes(6);
        if (magic.Length < 6 || magic[0] != 0x93 || Encoding.ASCII.GetString(magic, 1, 5) != "NUMPY")
            throw new ProjectionInputException($"{path}: not a .npy file (bad magic)");
        int major = reader.ReadByte();
        reader.ReadByte();
        int headerLength = major == 1 ? reader.ReadUInt16() : (int)reader.ReadUInt32();
        var header = Encoding.Latin1.GetString(reader.ReadBytes(headerLength));

        string descr = HeaderValue(path, header, "descr").Trim('\'', '"', ' ');
        bool fortran = HeaderValue(path, header, "fortran_order").Trim() == "True";
        var shapeText = HeaderValue(path, header, "shape").Trim('(', ')', ' ');
        var shape = shapeText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(long.Parse).ToArray();
        if (shape.Length != 2) throw new ProjectionInputException($"{path}: array has {shape.Length} dimensions, expected 2 (points × features)");
        if (fortran) throw new ProjectionInputException($"{path}: Fortran-ordered arrays are not supported; save with C order");
        if (descr.Length < 3 || !"<>|=".Contains(descr[0]) || (descr[1..] != "f4" && descr[1..] != "f8"))
            throw new ProjectionInputException($"{path}: dtype '{descr}' is not supported; use float32 or float64");
        bool bigEndian = descr[0] == '>';
        int width = descr[1..] == "f4" ? 4 : 8;
        long n = shape[0], d = shape[1];
        if (n * d > int.MaxValue / 2) throw new ProjectionInputException($"{path}: array too large ({n}×{d})");
        var bytes = reader.ReadBytes((int)(n * d * width));
        if (bytes.Length != n * d * width) throw new ProjectionInputException($"{path}: file ends early: expected {n}×{d} values");
        var data = new float[n * d];
        for (long t = 0; t < n * d; t++)
        {
            var span = bytes.AsSpan((int)(t * width), width);
            data[t] = width == 4
                ? (bigEndian ? BinaryPrimitives.ReadSingleBigEndian(span) : BinaryPrimitives.ReadSingleLittleEndian(span))
                : (float)(bigEndian ? BinaryPrimitives.ReadDoubleBigEndian(span) : BinaryPrimitives.ReadDoubleLittleEndian(span));
        }
        return new PointMatrix(data, (int)n, (int)d);
    }

    private static string HeaderValue(string path, string header, string key)
    {
        int at = header.IndexOf($"'{key}'", StringComparison.Ordinal);
        if (at < 0) throw new ProjectionInputException($"{path}: .npy header has no '{key}'");
        int colon = header.IndexOf(':', at);
        int end = key == "shape" ? header.IndexOf(')', colon) + 1 : header.IndexOf(',', colon);
        if (colon < 0 || end <= 0) throw new ProjectionInputException($"{path}: malformed .npy header");
        return header[(colon + 1)..end].Trim().TrimEnd(',');
    }

    /// <summary>Writes [n, d] as CSV (no header) to a temporary file next to <paramref name="path"/>, then renames it.</summary>
    public static void WriteCsv(string path, float[] data, int n, int d)
    {
        var full = Path.GetFullPath(path);
        var temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        try
        {
            using (var writer = new StreamWriter(temp, false, new UTF8Encoding(false)))
            {
                var line = new StringBuilder();
                for (int i = 0; i < n; i++)
                {
                    line.Clear();
                    for (int j = 0; j < d; j++)
                    {
                        if (j > 0) line.Append(',');
                        line.Append(data[i * d + j].ToString("R", CultureInfo.InvariantCulture));
                    }
                    writer.WriteLine(line);
                }
            }
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
