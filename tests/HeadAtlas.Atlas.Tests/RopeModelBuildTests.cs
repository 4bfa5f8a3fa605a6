using Apache.Arrow;
using HeadAtlas.Models;

namespace HeadAtlas.Atlas.Tests;

/// <summary>
/// A run of a RoPE, grouped-query model (the tiny LLaMA fixture of tests/fixtures): each head stores the post-RoPE
/// queries, the keys of its group's key/value head, and causal attention recomputable from those.
/// </summary>
public class RopeModelBuildTests
{
    [Fact]
    public void LlamaRun_StoresPostRopeQueriesAndItsGroupsKeys()
    {
        using var dir = new TempDir();
        string corpus = dir.Write("c.txt", "the whale\nthe white whale the\na whale, the whale!\n");
        string run = dir.File("run");
        using var model = ModelLoader.Load(Path.Combine(Repo.Root, "tests", "fixtures", "llama"));
        var m = AtlasBuilder.BuildBase(model, corpus, run, new BuildSettings { Projections = ["pca2d"] });
        Assert.Equal((2, 4, 2), (m.Model.Layers, m.Model.Heads, m.Model.KvHeads));

        var tokens = RunReader.ReadTable(Path.Combine(run, "tokens.arrow"));
        var position = ((Int32Array)tokens.Column("position")).Values.ToArray();
        int n = tokens.Length;
        var text = (StringArray)tokens.Column("text");
        var firstSentence = model.Tokenize("the whale"); // as the corpus reader keeps it (trimmed)
        Assert.Equal(firstSentence.Tokens, Enumerable.Range(0, firstSentence.Ids.Length).Select(i => text.GetString(i)));
        foreach (int layer in new[] { 0, 1 })
        {
            var heads = m.Heads.Where(h => h.Layer == layer).OrderBy(h => h.Head).ToList();
            var qk = heads.Select(h => RunReader.ReadQk(Path.Combine(run, h.Dir))).ToList();
            // Heads 0, 1 share kv head 0; heads 2, 3 share kv head 1.
            Assert.Equal(qk[0].K, qk[1].K);
            Assert.Equal(qk[2].K, qk[3].K);
            Assert.NotEqual(qk[0].K, qk[2].K);

            // The stored vectors are the model's post-RoPE hooks for the first sentence.
            var first = firstSentence.Ids;
            var hooks = new HookSet().Capture($"blocks.{layer}.attn.hook_rot_q", $"blocks.{layer}.attn.hook_rot_k");
            model.Forward([first], [hooks]);
            var rotQ = hooks.Captured[$"blocks.{layer}.attn.hook_rot_q"]; // [pos, head, d_head]
            var rotK = hooks.Captured[$"blocks.{layer}.attn.hook_rot_k"]; // [pos, kv_head, d_head]
            int dh = m.Model.DHead;
            for (int h = 0; h < 4; h++)
                for (int p = 0; p < first.Length; p++)
                    for (int c = 0; c < dh; c++)
                    {
                        Assert.Equal(rotQ.Data[(p * 4 + h) * dh + c], qk[h].Q[p * dh + c], 1e-6);
                        Assert.Equal(rotK.Data[(p * 2 + h / 2) * dh + c], qk[h].K[p * dh + c], 1e-6);
                    }

            // Attention rows are causal softmaxes of the stored q·k.
            foreach (var (head, i) in heads.Select((h, i) => (h, i)))
            {
                var att = (ListArray)RunReader.ReadTable(Path.Combine(run, head.Dir, "attention.arrow")).Column("weights");
                var (q, k, _, d) = qk[i];
                for (int t = 0; t < n; t++)
                {
                    var row = ((FloatArray)att.GetSlicedValues(t)).Values;
                    int start = t - position[t];
                    var logits = new double[position[t] + 1];
                    for (int j = 0; j < logits.Length; j++)
                    {
                        double dot = 0;
                        for (int c = 0; c < d; c++) dot += (double)q[t * d + c] * k[(start + j) * d + c];
                        logits[j] = dot / Math.Sqrt(d);
                    }
                    double max = logits.Max(), sum = logits.Sum(l => Math.Exp(l - max));
                    for (int j = 0; j < row.Length; j++)
                        Assert.Equal(j < logits.Length ? Math.Exp(logits[j] - max) / sum : 0, row[j], 1e-5);
                }
            }
        }
    }
}
