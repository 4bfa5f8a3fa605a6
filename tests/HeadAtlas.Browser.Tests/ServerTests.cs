using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using HeadAtlas.Server;

namespace HeadAtlas.Browser.Tests;

/// <summary>The server's API (docs/server-api.md) and its errors, over real HTTP on 127.0.0.1.</summary>
public sealed class ServerTests : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "headatlas-server-" + Guid.NewGuid().ToString("N")[..8]);
    private RunServer _server = null!;
    private readonly HttpClient _http = new();

    public async Task InitializeAsync()
    {
        FixtureRun.Write(_dir, tsneHeads: [(0, 0)]);
        _server = await RunServer.StartAsync(_dir, 0);
        _http.BaseAddress = new Uri(_server.Url);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void BindsToLoopbackOnAFreePort()
    {
        Assert.StartsWith("http://127.0.0.1:", _server.Url);
        Assert.NotEqual(0, _server.Port);
    }

    [Fact]
    public async Task ManifestReportsTheProjectionsPresentNow()
    {
        var m = JsonDocument.Parse(await _http.GetStringAsync("api/manifest")).RootElement;
        Assert.Equal("headatlas-run", m.GetProperty("format").GetString());
        var ready = m.GetProperty("ready");
        Assert.Equal(72, ready.EnumerateObject().Count());
        Assert.Equal(["pca2d", "tsne2d"], ready.GetProperty("L0_H0").EnumerateArray().Select(e => e.GetString()!));
        Assert.Equal(["pca2d"], ready.GetProperty("L5_H11").EnumerateArray().Select(e => e.GetString()!));

        // A projection written while the server runs shows up at the next request; a temp file does not.
        File.WriteAllText(Path.Combine(_dir, "heads/L5_H11/tsne2d.arrow.tmp"), "partial");
        FixtureRun.WriteTsne(_dir, 5, 11);
        m = JsonDocument.Parse(await _http.GetStringAsync("api/manifest")).RootElement;
        Assert.Equal(["pca2d", "tsne2d"], m.GetProperty("ready").GetProperty("L5_H11").EnumerateArray().Select(e => e.GetString()!));
    }

    [Fact]
    public async Task ManifestCarriesEveryHeadsMetricsAsStoredNow()
    {
        // No metrics.json anywhere: an empty table.
        var m = JsonDocument.Parse(await _http.GetStringAsync("api/manifest")).RootElement;
        Assert.Empty(m.GetProperty("metrics").EnumerateObject());

        // One head measured: its file's content appears at the next request, the other heads stay absent.
        File.WriteAllText(Path.Combine(_dir, "heads/L2_H3/metrics.json"), "{\"faithfulness\": {\"pca2d\": 0.412345, \"tsne2d\": null}}");
        m = JsonDocument.Parse(await _http.GetStringAsync("api/manifest")).RootElement;
        var metrics = m.GetProperty("metrics");
        Assert.Equal(["L2_H3"], metrics.EnumerateObject().Select(p => p.Name));
        var f = metrics.GetProperty("L2_H3").GetProperty("faithfulness");
        Assert.Equal(0.412345, f.GetProperty("pca2d").GetDouble());
        Assert.Equal(JsonValueKind.Null, f.GetProperty("tsne2d").ValueKind);
    }

    [Fact]
    public async Task FilesAreServedAsTheyAreOnDisk()
    {
        var r = await _http.GetAsync("api/file/heads/L2_H3/pca2d.arrow");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("application/vnd.apache.arrow.file", r.Content.Headers.ContentType!.MediaType);
        Assert.Equal(File.ReadAllBytes(Path.Combine(_dir, "heads/L2_H3/pca2d.arrow")), await r.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync("api/file/heads/L2_H3/tsne2d.arrow")).StatusCode);
    }

    [Theory]
    [InlineData("api/file/..%2F..%2Fetc%2Fpasswd")]
    [InlineData("api/file/heads/..%2F..%2Fsecret.txt")]
    [InlineData("api/file/%2Fetc%2Fpasswd")]
    [InlineData("api/file/heads%5C..%5C..%5Csecret.txt")]
    public async Task PathsOutsideTheRunAreRejected(string url)
    {
        File.WriteAllText(Path.Combine(Path.GetDirectoryName(_dir)!, "secret.txt"), "secret");
        var r = await _http.GetAsync(url);
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
    }

    [Fact]
    public void ResolveInsideKeepsPathsInTheRun()
    {
        var run = ServedRun.Open(_dir);
        Assert.Equal(Path.Combine(run.Root, "heads", "L0_H0", "qk.arrow"), run.ResolveInside("heads/L0_H0/qk.arrow"));
        foreach (var bad in new[] { "../x", "heads/../../x", "/etc/passwd", "heads//x", "./tokens.arrow", "a\\..\\..\\b", "" })
            Assert.Null(run.ResolveInside(bad));
    }

    [Fact]
    public async Task AttentionIsTheSentencesRowsOfAttentionArrow()
    {
        var weights = ArrowFiles.ReadFloatLists(Path.Combine(_dir, "heads/L1_H4/attention.arrow"), "weights");
        var texts = ArrowFiles.ReadStrings(Path.Combine(_dir, "tokens.arrow"), "text");
        int first = ArrowFiles.ReadInts(Path.Combine(_dir, "sentences.arrow"), "first_token")[3];
        var a = JsonDocument.Parse(await _http.GetStringAsync("api/attention/1/4/3")).RootElement;
        Assert.Equal(3, a.GetProperty("sentence").GetInt32());
        var tokens = a.GetProperty("tokens").EnumerateArray().Select(t => t.GetString()!).ToList();
        Assert.Equal(texts.Skip(first).Take(tokens.Count), tokens);
        var rows = a.GetProperty("weights").EnumerateArray().ToList();
        Assert.Equal(tokens.Count, rows.Count);
        for (int q = 0; q < rows.Count; q++)
        {
            var row = rows[q].EnumerateArray().Select(w => w.GetSingle()).ToArray();
            Assert.Equal(weights[first + q], row);
            Assert.Equal(1.0, row.Sum(), 4);
        }
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync("api/attention/1/4/999")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync("api/attention/9/0/0")).StatusCode);
    }

    [Fact]
    public async Task APortInUseIsOneClearError()
    {
        using var blocker = new TcpListener(IPAddress.Loopback, 0);
        blocker.Start();
        int port = ((IPEndPoint)blocker.LocalEndpoint).Port;
        var e = await Assert.ThrowsAsync<ServerInputException>(() => RunServer.StartAsync(_dir, port));
        Assert.Contains($"port {port}", e.Message);
        Assert.Contains("in use", e.Message);
    }

    [Fact]
    public async Task ABadRunFolderIsOneClearError()
    {
        var missing = Path.Combine(_dir, "nope");
        var e = await Assert.ThrowsAsync<ServerInputException>(() => RunServer.StartAsync(missing));
        Assert.Contains(missing, e.Message);

        var notRun = Directory.CreateTempSubdirectory().FullName;
        try
        {
            e = await Assert.ThrowsAsync<ServerInputException>(() => RunServer.StartAsync(notRun));
            Assert.Contains("manifest.json", e.Message);
            File.WriteAllText(Path.Combine(notRun, "manifest.json"), "{ \"format\": \"other\" }");
            e = await Assert.ThrowsAsync<ServerInputException>(() => RunServer.StartAsync(notRun));
            Assert.Contains("'format'", e.Message);
        }
        finally { Directory.Delete(notRun, true); }
    }

    [Fact]
    public void ServeCommandExitsWithOneForAMissingRunFolder()
    {
        Assert.Equal(1, HeadAtlas.Cli.Program.Main(["serve", Path.Combine(_dir, "missing")]).GetAwaiter().GetResult());
    }

    [Fact]
    public async Task ServesTheExplorer()
    {
        BrowserFixture.EnsureExplorerBuilt();
        var html = await _http.GetStringAsync("");
        Assert.Contains("<title>HeadAtlas</title>", html);
    }
}
