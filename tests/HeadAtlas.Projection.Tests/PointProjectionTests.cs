using System.Text;
using HeadAtlas.Projection;

namespace HeadAtlas.Projection.Tests;

public class PointProjectionTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("headatlas-project-").FullName;
    public void Dispose() => Directory.Delete(dir, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static string GridCsv(int n, int d) =>
        string.Join("\n", Enumerable.Range(0, n).Select(i => string.Join(",", Enumerable.Range(0, d).Select(j => ((i * 7 + j * 3) % 11 + 0.5 * j).ToString(System.Globalization.CultureInfo.InvariantCulture)))));

    /// <summary>Writes a C-order .npy with the given dtype descriptor and raw little-endian payload.</summary>
    private string WriteNpy(string name, string descr, int n, int d, byte[] payload)
    {
        var header = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({n}, {d}), }}";
        header = header.PadRight(117) + "\n";
        var path = Path.Combine(dir, name);
        using var f = File.Create(path);
        f.Write(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, (byte)header.Length, 0 });
        f.Write(Encoding.ASCII.GetBytes(header));
        f.Write(payload);
        return path;
    }

    private ProjectionInputException Fails(ProjectionRequest request)
    {
        var e = Assert.Throws<ProjectionInputException>(() => PointProjection.Run(request));
        Assert.False(File.Exists(request.Output)); // nothing half-written
        Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
        return e;
    }

    [Fact]
    public void PcaCsvToCsvMatchesPcaProject()
    {
        var input = Write("x.csv", GridCsv(30, 5));
        var output = Path.Combine(dir, "y.csv");
        PointProjection.Run(new ProjectionRequest { Input = input, Output = output, Method = ProjectionMethod.Pca, Dims = 3 });
        var lines = File.ReadAllLines(output);
        Assert.Equal(30, lines.Length);
        var points = PointFiles.Read(input);
        var expected = Pca.Project(points.Data, 30, 5, 3);
        var got = lines.SelectMany(l => l.Split(',').Select(v => float.Parse(v, System.Globalization.CultureInfo.InvariantCulture))).ToArray();
        Assert.Equal(expected, got);
    }

    [Fact]
    public void TsneFromNpyFloat64WritesOneRowPerPoint()
    {
        int n = 60, d = 4;
        var rng = new Random(1);
        var values = Enumerable.Range(0, n * d).Select(t => (t / d % 2) * 10 + rng.NextDouble()).ToArray();
        var payload = values.SelectMany(BitConverter.GetBytes).ToArray();
        var input = WriteNpy("x.npy", "<f8", n, d, payload);
        var output = Path.Combine(dir, "y.csv");
        PointProjection.Run(new ProjectionRequest { Input = input, Output = output, Perplexity = 10, Iterations = 300, Dims = 2, Metric = Metric.Cosine });
        var lines = File.ReadAllLines(output);
        Assert.Equal(n, lines.Length);
        Assert.All(lines, l => Assert.Equal(2, l.Split(',').Length));
        Assert.Equal(values.Select(v => (float)v), PointFiles.Read(input).Data);
    }

    [Fact]
    public void NanNamesTheRow()
    {
        var input = Write("nan.csv", "1,2\n3,4\n5,NaN\n7,8\n9,10\n");
        var e = Fails(new ProjectionRequest { Input = input, Output = Path.Combine(dir, "y.csv") });
        Assert.Contains("nan.csv", e.Message);
        Assert.Contains("row 3", e.Message);
    }

    [Fact]
    public void InfinityInNpyNamesTheRow()
    {
        var values = new float[] { 1, 2, 3, 4, 5, float.PositiveInfinity, 7, 8, 9, 10 };
        var input = WriteNpy("inf.npy", "<f4", 5, 2, values.SelectMany(BitConverter.GetBytes).ToArray());
        var e = Fails(new ProjectionRequest { Input = input, Output = Path.Combine(dir, "y.csv") });
        Assert.Contains("inf.npy", e.Message);
        Assert.Contains("row 3", e.Message);
    }

    [Fact]
    public void RaggedCsvNamesTheLine()
    {
        var input = Write("ragged.csv", "1,2,3\n4,5,6\n7,8\n9,10,11\n");
        var e = Fails(new ProjectionRequest { Input = input, Output = Path.Combine(dir, "y.csv") });
        Assert.Contains("ragged.csv", e.Message);
        Assert.Contains("line 3", e.Message);
    }

    [Fact]
    public void NonNumericCellNamesLineAndColumn()
    {
        var input = Write("text.csv", "1,2\n3,abc\n");
        var e = Fails(new ProjectionRequest { Input = input, Output = Path.Combine(dir, "y.csv") });
        Assert.Contains("line 2, column 2", e.Message);
    }

    [Fact]
    public void FewerThanFourPoints()
    {
        var input = Write("three.csv", "1,2\n3,4\n5,6\n");
        var e = Fails(new ProjectionRequest { Input = input, Output = Path.Combine(dir, "y.csv"), Method = ProjectionMethod.Pca });
        Assert.Contains("three.csv", e.Message);
        Assert.Contains("at least 4", e.Message);
    }

    [Fact]
    public void UmapCsvToCsvSeparatesTwoGroupsIn3D()
    {
        int n = 80;
        var rng = new Random(2);
        var csv = string.Join("\n", Enumerable.Range(0, n).Select(i => string.Join(",", Enumerable.Range(0, 5).Select(_ =>
            ((i % 2) * 20 + rng.NextDouble()).ToString(System.Globalization.CultureInfo.InvariantCulture)))));
        var input = Write("u.csv", csv);
        var output = Path.Combine(dir, "u_out.csv");
        PointProjection.Run(new ProjectionRequest { Input = input, Output = output, Method = ProjectionMethod.Umap, Dims = 3, Neighbors = 10, MinDist = 0.2 });
        var y = PointFiles.Read(output);
        Assert.Equal((n, 3), (y.N, y.D));
        Assert.Equal(1.0, TsneTests.NearestNeighbourAccuracy(y.Data, n, 3, Enumerable.Range(0, n).Select(i => i % 2).ToArray()));
    }

    [Fact]
    public void UmapNeighborsTooLargeForN()
    {
        var input = Write("small.csv", GridCsv(10, 3));
        var e = Fails(new ProjectionRequest { Input = input, Output = Path.Combine(dir, "y.csv"), Method = ProjectionMethod.Umap, Neighbors = 15 });
        Assert.Contains("small.csv", e.Message);
        Assert.Contains("--neighbors 15", e.Message);
    }

    [Fact]
    public void PerplexityTooLargeForN()
    {
        var input = Write("small.csv", GridCsv(10, 3));
        var e = Fails(new ProjectionRequest { Input = input, Output = Path.Combine(dir, "y.csv"), Perplexity = 30 });
        Assert.Contains("small.csv", e.Message);
        Assert.Contains("perplexity 30", e.Message);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void DimsOtherThanTwoOrThree(int dims)
    {
        var input = Write("x.csv", GridCsv(20, 4));
        var e = Fails(new ProjectionRequest { Input = input, Output = Path.Combine(dir, "y.csv"), Dims = dims });
        Assert.Contains("--dims", e.Message);
    }

    [Theory]
    [InlineData("<i4")]
    [InlineData("<f2")]
    public void UnsupportedNpyDtype(string descr)
    {
        var input = WriteNpy("int.npy", descr, 5, 2, new byte[5 * 2 * 4]);
        var e = Fails(new ProjectionRequest { Input = input, Output = Path.Combine(dir, "y.csv") });
        Assert.Contains("int.npy", e.Message);
        Assert.Contains(descr, e.Message);
    }

    [Fact]
    public void ExistingOutputIsKeptWhenInputIsBad()
    {
        var output = Write("y.csv", "old");
        var input = Write("bad.csv", "1,2\n3\n");
        Assert.Throws<ProjectionInputException>(() => PointProjection.Run(new ProjectionRequest { Input = input, Output = output }));
        Assert.Equal("old", File.ReadAllText(output));
    }
}
