namespace HeadAtlas.Atlas.Tests;

/// <summary>Rerunning a build: same inputs resume, other inputs are refused unless overwriting; interrupted builds
/// leave no RUN_DIR (or only whole files) and a rerun completes them.</summary>
public class ResumeTests
{
    private static readonly BuildSettings NoProjections = new() { Projections = [] };

    [Fact]
    public void SameInputs_ReuseTheRun_WithoutRunningTheModel()
    {
        using var dir = new TempDir();
        string corpus = BuildBaseTests.SmallCorpus(dir), run = dir.File("run");
        var first = AtlasBuilder.BuildBase(new FakeModel(), corpus, run, NoProjections);
        var model = new FakeModel();
        var second = AtlasBuilder.BuildBase(model, corpus, run, NoProjections with { BatchSize = 7 });
        Assert.Equal(0, model.ForwardCalls);
        Assert.Equal(first.CreatedUtc, second.CreatedUtc);
    }

    [Fact]
    public void OtherSettings_AreRefused_UnlessOverwrite()
    {
        using var dir = new TempDir();
        string corpus = BuildBaseTests.SmallCorpus(dir), run = dir.File("run");
        AtlasBuilder.BuildBase(new FakeModel(), corpus, run, NoProjections);
        var e = Assert.Throws<BuildInputException>(() => AtlasBuilder.BuildBase(new FakeModel(), corpus, run, NoProjections with { Seed = 1 }));
        Assert.Contains("seed 0 vs 1", e.Message);
        Assert.Contains("--overwrite", e.Message);
        Assert.Equal(0, RunReader.ReadManifest(run).Settings.Seed);

        string other = dir.Write("other.txt", "A different corpus.\n");
        e = Assert.Throws<BuildInputException>(() => AtlasBuilder.BuildBase(new FakeModel(), other, run, NoProjections));
        Assert.Contains("corpus", e.Message);

        var rebuilt = AtlasBuilder.BuildBase(new FakeModel(), corpus, run, NoProjections with { Seed = 1 }, overwrite: true);
        Assert.Equal(1, rebuilt.Settings.Seed);
        Assert.Equal(1, RunReader.ReadManifest(run).Settings.Seed);
        Assert.Equal([run], Directory.GetDirectories(dir.Path));
    }

    [Fact]
    public void AFolderThatIsNotARun_IsNeverReplaced()
    {
        using var dir = new TempDir();
        string run = dir.File("precious");
        Directory.CreateDirectory(run);
        File.WriteAllText(Path.Combine(run, "thesis.tex"), "years of work");
        var e = Assert.Throws<BuildInputException>(() =>
            AtlasBuilder.BuildBase(new FakeModel(), BuildBaseTests.SmallCorpus(dir), run, NoProjections, overwrite: true));
        Assert.Contains("not a HeadAtlas run", e.Message);
        Assert.True(File.Exists(Path.Combine(run, "thesis.tex")));
    }

    [Fact]
    public void CancelledBase_LeavesNoRunDir_AndARerunCompletes()
    {
        using var dir = new TempDir();
        string corpus = BuildBaseTests.SmallCorpus(dir), run = dir.File("run");
        using var cts = new CancellationTokenSource();
        var model = new FakeModel { BeforeForward = calls => { if (calls == 2) cts.Cancel(); } };
        Assert.ThrowsAny<OperationCanceledException>(() =>
            AtlasBuilder.BuildBase(model, corpus, run, NoProjections with { BatchSize = 1 }, cancel: cts.Token));
        Assert.Equal(3, model.ForwardCalls); // the third batch ran, then the check between batches stopped it
        Assert.Empty(Directory.GetDirectories(dir.Path)); // neither RUN_DIR nor a partial folder

        var m = AtlasBuilder.BuildBase(new FakeModel(), corpus, run, NoProjections);
        Assert.Equal(6, m.Corpus.Sentences);
    }

    [Fact]
    public void StalePartialFolders_AreRemoved()
    {
        using var dir = new TempDir();
        string run = dir.File("run");
        // A pid that is not running: an interrupted build of another process.
        string stale = run + ".partial-2147483646-deadbeef";
        Directory.CreateDirectory(Path.Combine(stale, "heads"));
        string unrelated = run + ".notes";
        Directory.CreateDirectory(unrelated);
        AtlasBuilder.BuildBase(new FakeModel(), BuildBaseTests.SmallCorpus(dir), run, NoProjections);
        Assert.False(Directory.Exists(stale));
        Assert.True(Directory.Exists(unrelated));
        Assert.True(File.Exists(Path.Combine(run, "manifest.json")));
    }
}
