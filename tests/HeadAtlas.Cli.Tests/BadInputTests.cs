using System.Net;
using System.Net.Sockets;
using System.Text;

namespace HeadAtlas.Cli.Tests;

/// <summary>Every kind of bad input gets one clear message naming what and where, a non-zero exit, and no
/// half-written output — checked through the CLI entry point itself.</summary>
[Collection("console")]
public sealed class BadInputTests
{
    [Fact]
    public void Unknown_model_is_named_and_the_built_ins_listed()
    {
        using var tmp = new TempFolder();
        var (exit, _, err) = CliRunner.Run("activations", "--model", "no-such-model", "--text", "hi", "--hooks", "blocks.0.attn.hook_q", "--out", tmp.File("a.json"));
        Assert.Equal(1, exit);
        Assert.Contains("no-such-model", err);
        Assert.Contains("minilm", err);
        Assert.DoesNotContain("   at ", err); // a message, not a stack trace
        Assert.False(File.Exists(tmp.File("a.json")));
    }

    [Fact]
    public void Unknown_hook_lists_the_valid_ones()
    {
        using var tmp = new TempFolder();
        var (exit, _, err) = CliRunner.Run("activations", "--model", "minilm", "--text", "hi", "--hooks", "blocks.0.attn.hook_q,blocks.0.attn.hook_nope", "--out", tmp.File("a.json"));
        Assert.Equal(1, exit);
        Assert.Contains("blocks.0.attn.hook_nope", err);
        Assert.Contains("hook_pattern", err);
        Assert.False(File.Exists(tmp.File("a.json")));
    }

    [Fact]
    public void Missing_corpus_is_named_and_no_run_appears()
    {
        using var tmp = new TempFolder();
        string corpus = tmp.File("nope.txt"), run = tmp.File("run");
        var (exit, _, err) = CliRunner.Run("build", "--model", "minilm", "--corpus", corpus, "--out", run);
        Assert.Equal(1, exit);
        Assert.Contains("nope.txt", err);
        Assert.False(Directory.Exists(run));
        Assert.Empty(Directory.EnumerateFileSystemEntries(tmp.Path)); // no temp folder left behind either
    }

    [Fact]
    public void Empty_corpus_is_an_error()
    {
        using var tmp = new TempFolder();
        string corpus = tmp.File("empty.txt"), run = tmp.File("run");
        File.WriteAllText(corpus, "\n  \n\n");
        var (exit, _, err) = CliRunner.Run("build", "--corpus", corpus, "--out", run);
        Assert.Equal(1, exit);
        Assert.Contains("empty.txt", err);
        Assert.False(Directory.Exists(run));
    }

    [Fact]
    public void Invalid_utf8_names_the_line()
    {
        using var tmp = new TempFolder();
        string corpus = tmp.File("latin1.txt"), run = tmp.File("run");
        var bytes = new List<byte>();
        bytes.AddRange(Encoding.UTF8.GetBytes("The first line is fine.\nSo is the second.\n"));
        bytes.AddRange(Encoding.Latin1.GetBytes("But the third says caf\u00e9 in Latin-1.\n"));
        File.WriteAllBytes(corpus, bytes.ToArray());
        var (exit, _, err) = CliRunner.Run("build", "--corpus", corpus, "--out", run);
        Assert.Equal(1, exit);
        Assert.Contains("latin1.txt", err);
        Assert.Contains("line 3", err);
        Assert.False(Directory.Exists(run));
    }

    [Fact]
    public void Binary_file_is_an_error()
    {
        using var tmp = new TempFolder();
        string corpus = tmp.File("blob.bin"), run = tmp.File("run");
        File.WriteAllBytes(corpus, [0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00, 0x00, 0x0a, 0x41]);
        var (exit, _, err) = CliRunner.Run("build", "--corpus", corpus, "--out", run);
        Assert.Equal(1, exit);
        Assert.Contains("blob.bin", err);
        Assert.False(Directory.Exists(run));
    }

    [Fact]
    public void Serving_a_folder_that_is_not_a_run_is_an_error()
    {
        using var tmp = new TempFolder();
        var (exit, _, err) = CliRunner.Run("serve", tmp.Path, "--port", "0");
        Assert.Equal(1, exit);
        Assert.Contains("manifest.json", err);
    }

    [Fact]
    public void Port_in_use_is_named()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var tmp = new TempFolder();
        string run = tmp.File("run");
        var build = CliRunner.Run("build", "--corpus", WriteCorpus(tmp, "Call me Ishmael.", "It was a dark night."), "--out", run);
        Assert.True(build.Exit == 0, build.Err);

        var (exit, _, err) = CliRunner.Run("serve", run, "--port", port.ToString());
        Assert.Equal(1, exit);
        Assert.Contains(port.ToString(), err);
        Assert.Contains("in use", err);
    }

    private static string WriteCorpus(TempFolder tmp, params string[] lines)
    {
        string path = tmp.File("corpus.txt");
        File.WriteAllLines(path, lines);
        return path;
    }
}
