using Apache.Arrow;
using Apache.Arrow.Ipc;

namespace HeadAtlas.Atlas.Tests;

/// <summary>The base of a run (everything but projections), built with the fake model and read back with
/// Apache.Arrow's own reader.</summary>
public class BuildBaseTests
{
    private static readonly BuildSettings NoProjections = new() { Projections = [] };

    internal static string SmallCorpus(TempDir dir, string name = "corpus.txt") => dir.Write(name,
        "Call me Ishmael.\n\nSome years ago never mind how long precisely.\n" +
        "It is a way I have of driving off the spleen!\n" +
        string.Join(' ', Enumerable.Range(0, 30).Select(i => "word" + i)) + "\n" + // 30 words: split in two
        "There now is your insular city of the Manhattoes.\n");

    private static RecordBatch Read(string path)
    {
        using var stream = File.OpenRead(path);
        using var reader = new ArrowFileReader(stream);
        var batch = reader.ReadNextRecordBatch();
        Assert.Null(reader.ReadNextRecordBatch());
        return batch;
    }

    private static int[] Ints(RecordBatch b, string name) => ((Int32Array)b.Column(name)).Values.ToArray();
    private static bool[] Bools(RecordBatch b, string name) { var a = (BooleanArray)b.Column(name); return Enumerable.Range(0, a.Length).Select(i => a.GetValue(i)!.Value).ToArray(); }
    private static string[] Strings(RecordBatch b, string name) { var a = (StringArray)b.Column(name); return Enumerable.Range(0, a.Length).Select(i => a.GetString(i)).ToArray(); }

    [Fact]
    public void Base_HasConsistentSentencesTokensQkAndAttention()
    {
        using var dir = new TempDir();
        var model = new FakeModel(layers: 2, heads: 4, kvHeads: 2, dHead: 8, maxPositions: 24);
        var warnings = new RecordingProgress();
        string run = dir.File("run");
        var manifest = AtlasBuilder.BuildBase(model, SmallCorpus(dir), run, NoProjections with { BatchSize = 2 }, progress: warnings);

        // manifest
        var reread = RunReader.ReadManifest(run);
        Assert.Equal(manifest.ToJson(), reread.ToJson());
        Assert.Equal(8, reread.Heads.Count);
        Assert.Equal([0, 0, 1, 1], reread.Heads.Take(4).Select(h => h.KvHead));
        Assert.Equal("heads/L1_H3", reread.Heads[^1].Dir);
        Assert.Equal(6, reread.Corpus.Sentences);
        Assert.Equal(1, reread.Corpus.TruncatedSentences);
        Assert.Contains(warnings.Warnings, w => w.Contains("line 5"));

        // sentences.arrow
        var sentences = Read(Path.Combine(run, "sentences.arrow"));
        Assert.Equal(6, sentences.Length);
        Assert.Equal([0, 1, 2, 3, 4, 5], Ints(sentences, "sentence"));
        Assert.Equal([1, 3, 4, 5, 5, 6], Ints(sentences, "source_line"));
        Assert.Equal([false, false, false, true, true, false], Bools(sentences, "truncated"));
        Assert.Equal("Call me Ishmael.", Strings(sentences, "text")[0]);
        var lengths = Ints(sentences, "length");
        var firsts = Ints(sentences, "first_token");
        Assert.Equal([5, 10, 13, 24, 10, 11], lengths);
        int n = lengths.Sum();
        Assert.Equal(n, reread.Corpus.Tokens);
        for (int s = 1; s < 6; s++) Assert.Equal(firsts[s - 1] + lengths[s - 1], firsts[s]);

        // tokens.arrow
        var tokens = Read(Path.Combine(run, "tokens.arrow"));
        Assert.Equal(n, tokens.Length);
        Assert.Equal(Enumerable.Range(0, n), Ints(tokens, "token"));
        var tokSentence = Ints(tokens, "sentence"); var position = Ints(tokens, "position"); var sentLen = Ints(tokens, "sentence_length");
        var text = Strings(tokens, "text"); var special = Bools(tokens, "is_special"); var punct = Bools(tokens, "is_punct");
        var posNorm = ((FloatArray)tokens.Column("position_norm")).Values.ToArray();
        for (int t = 0; t < n; t++)
        {
            int s = tokSentence[t];
            Assert.Equal(firsts[s] + position[t], t);
            Assert.Equal(lengths[s], sentLen[t]);
            Assert.Equal(position[t] / (float)(lengths[s] - 1), posNorm[t], 6);
            Assert.Equal(position[t] == 0 || position[t] == lengths[s] - 1, special[t]);
        }
        Assert.Equal(["[CLS]", "Call", "me", "Ishmael.", "[SEP]"], text.Take(5));
        Assert.Equal([5, 4, 2, 8, 5], Ints(tokens, "token_length").Take(5));
        Assert.DoesNotContain(true, punct); // the fake model's tokens are words with punctuation attached

        // every head: qk and attention; attention = softmax(q·kᵀ/√d) recomputed from the stored raw vectors
        foreach (var head in reread.Heads)
        {
            var qk = Read(Path.Combine(run, head.Dir, "qk.arrow"));
            Assert.Equal(n, qk.Length);
            var (q, k, qn, dHead) = RunReader.ReadQk(Path.Combine(run, head.Dir));
            Assert.Equal((n, 8), (qn, dHead));
            var qNorm = ((FloatArray)qk.Column("q_norm")).Values.ToArray();
            for (int t = 0; t < n; t++)
                Assert.Equal(Math.Sqrt(Enumerable.Range(0, 8).Sum(d => (double)q[t * 8 + d] * q[t * 8 + d])), qNorm[t], 4);

            var att = (ListArray)Read(Path.Combine(run, head.Dir, "attention.arrow")).Column("weights");
            Assert.Equal(n, att.Length);
            for (int t = 0; t < n; t++)
            {
                var row = ((FloatArray)att.GetSlicedValues(t)).Values.ToArray();
                int s = tokSentence[t];
                Assert.Equal(lengths[s], row.Length);
                Assert.Equal(1.0, row.Sum(v => (double)v), 1e-5);
                var expected = new float[row.Length];
                for (int j = 0; j < row.Length; j++)
                {
                    int key = firsts[s] + j;
                    double dot = 0;
                    for (int d = 0; d < 8; d++) dot += q[t * 8 + d] * k[key * 8 + d];
                    expected[j] = (float)(dot / Math.Sqrt(8));
                }
                FakeModel.Softmax(expected);
                for (int j = 0; j < row.Length; j++) Assert.Equal(expected[j], row[j], 1e-6);
            }
        }

        // GQA: heads 0 and 1 share KV head 0, so their keys are identical; heads 0 and 2 differ.
        var k0 = RunReader.ReadQk(Path.Combine(run, "heads/L0_H0")).K;
        Assert.Equal(k0, RunReader.ReadQk(Path.Combine(run, "heads/L0_H1")).K);
        Assert.NotEqual(k0, RunReader.ReadQk(Path.Combine(run, "heads/L0_H2")).K);
        Assert.Equal([run], Directory.GetDirectories(dir.Path)); // no partial or swapped-out folder left
        Assert.Empty(Directory.GetFiles(run, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void MaxTokens_KeepsWholeSentencesWithinTheLimit()
    {
        using var dir = new TempDir();
        var progress = new RecordingProgress();
        var m = AtlasBuilder.BuildBase(new FakeModel(), SmallCorpus(dir), dir.File("run"), NoProjections with { MaxTokens = 30 }, progress: progress);
        Assert.Equal(3, m.Corpus.Sentences); // 5 + 10 + 13 = 28; the next (24) would pass 30
        Assert.Equal(28, m.Corpus.Tokens);
        Assert.Equal(30, m.Settings.MaxTokens);
        Assert.Contains(progress.Warnings, w => w.Contains("--max-tokens 30"));
    }

    [Fact]
    public void SameInputs_AreDeterministic()
    {
        using var dir = new TempDir();
        string corpus = SmallCorpus(dir);
        AtlasBuilder.BuildBase(new FakeModel(), corpus, dir.File("a"), NoProjections);
        AtlasBuilder.BuildBase(new FakeModel(), corpus, dir.File("b"), NoProjections with { BatchSize = 1 });
        foreach (var f in new[] { "sentences.arrow", "tokens.arrow", "heads/L1_H2/qk.arrow", "heads/L1_H2/attention.arrow" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(dir.File("a"), f)), File.ReadAllBytes(Path.Combine(dir.File("b"), f)));
    }

    [Fact]
    public void CorpusErrors_ComeBeforeAnythingIsWritten()
    {
        using var dir = new TempDir();
        string corpus = dir.Write("bad.jsonl", "{\"text\": \"ok\"}\n{\"text\": 1}\n");
        var e = Assert.Throws<CorpusInputException>(() => AtlasBuilder.BuildBase(new FakeModel(), corpus, dir.File("run"), NoProjections));
        Assert.Contains("line 2", e.Message);
        Assert.Equal([corpus], Directory.GetFileSystemEntries(dir.Path));
    }
}

/// <summary>Collects warnings and stage names; thread-safe.</summary>
public sealed class RecordingProgress : IBuildProgress
{
    private readonly object _lock = new();
    public List<string> Warnings { get; } = [];
    public List<string> Stages { get; } = [];
    public Action<string, int>? OnReport { get; set; }

    public IProgressStage Start(string name, int total, bool transient = false)
    {
        lock (_lock) Stages.Add(name);
        return new Stage(this, name);
    }

    public void Warn(string message) { lock (_lock) Warnings.Add(message); }

    private sealed class Stage(RecordingProgress owner, string name) : IProgressStage
    {
        public void Report(int done) => owner.OnReport?.Invoke(name, done);
        public void Complete() { }
    }
}
