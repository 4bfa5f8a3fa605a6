using HeadAtlas.Models;
using HeadAtlas.Tensors;

namespace HeadAtlas.Models.Tests;

/// <summary>Hook points: shapes, consistency between neighbouring hooks, and that overrides steer the computation.</summary>
public sealed class BertHookTests
{
    private static ITransformerModel Model => BuiltinModels.Load("minilm");

    private static int[] Ids => Model.Tokenize("The whale swam under the ship at dawn.").Ids;

    private static Tensor Run(int[] ids, HookSet hooks) => Model.Forward([ids], [hooks])[0];

    [Fact]
    public void EveryHookHasItsDocumentedShape()
    {
        var info = Model.Info;
        var ids = Ids;
        int n = ids.Length;
        var hooks = new HookSet(captureAll: true);
        Run(ids, hooks);
        Assert.Equal(Model.HookNames.OrderBy(x => x), hooks.Captured.Keys.OrderBy(x => x));
        foreach (var (name, t) in hooks.Captured)
        {
            int[] expected = name switch
            {
                _ when name.EndsWith("hook_attn_scores") || name.EndsWith("hook_pattern") => [info.Heads, n, n],
                _ when name.EndsWith("attn.hook_q") || name.EndsWith("attn.hook_k") || name.EndsWith("attn.hook_v") || name.EndsWith("attn.hook_z") => [n, info.Heads, info.DHead],
                _ when name.Contains(".mlp.hook_") => [n, 4 * info.DModel],
                _ => [n, info.DModel],
            };
            Assert.True(expected.SequenceEqual(t.Shape), $"{name}: shape [{string.Join(", ", t.Shape)}], expected [{string.Join(", ", expected)}]");
        }
        Assert.Equal(6 * 15 + 3, Model.HookNames.Count);
    }

    [Fact]
    public void OnlyRequestedHooksAreCaptured()
    {
        var hooks = new HookSet().Capture("blocks.2.attn.hook_q", "hook_embed");
        Run(Ids, hooks);
        Assert.Equal(["blocks.2.attn.hook_q", "hook_embed"], hooks.Captured.Keys.Order());
    }

    [Fact]
    public void NeighbouringHooksAgree()
    {
        var ids = Ids;
        var hooks = new HookSet(captureAll: true);
        var output = Run(ids, hooks);
        var c = hooks.Captured;
        int n = ids.Length, heads = Model.Info.Heads, dh = Model.Info.DHead;

        // The residual stream adds up.
        for (int l = 0; l < Model.Info.Layers; l++)
        {
            AssertClose(Add(c[$"blocks.{l}.hook_resid_pre"], c[$"blocks.{l}.hook_attn_out"]), c[$"blocks.{l}.hook_resid_mid"], 1e-6f, $"resid_mid {l}");
            AssertClose(Add(c[$"blocks.{l}.ln1.hook_normalized"], c[$"blocks.{l}.hook_mlp_out"]), c[$"blocks.{l}.hook_resid_post"], 1e-6f, $"resid_post {l}");
            if (l + 1 < Model.Info.Layers)
                AssertClose(c[$"blocks.{l}.hook_normalized_resid_post"], c[$"blocks.{l + 1}.hook_resid_pre"], 0, $"layer {l} → {l + 1}");
        }
        AssertClose(c[$"blocks.{Model.Info.Layers - 1}.hook_normalized_resid_post"], output, 0, "output");

        // Attention recomputed here from q, k, v in double precision.
        var q = c["blocks.3.attn.hook_q"].Data;
        var k = c["blocks.3.attn.hook_k"].Data;
        var v = c["blocks.3.attn.hook_v"].Data;
        var scores = c["blocks.3.attn.hook_attn_scores"].Data;
        var pattern = c["blocks.3.attn.hook_pattern"].Data;
        var z = c["blocks.3.attn.hook_z"].Data;
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < n; i++)
            {
                var row = new double[n];
                for (int j = 0; j < n; j++)
                {
                    double dot = 0;
                    for (int e = 0; e < dh; e++) dot += q[(i * heads + h) * dh + e] * k[(j * heads + h) * dh + e];
                    row[j] = dot / Math.Sqrt(dh);
                    Assert.True(Math.Abs(row[j] - scores[(h * n + i) * n + j]) < 1e-4, $"score h{h} {i},{j}");
                }
                double max = row.Max(), sum = row.Sum(x => Math.Exp(x - max));
                for (int j = 0; j < n; j++)
                    Assert.True(Math.Abs(Math.Exp(row[j] - max) / sum - pattern[(h * n + i) * n + j]) < 1e-5, $"pattern h{h} {i},{j}");
                for (int e = 0; e < dh; e++)
                {
                    double acc = 0;
                    for (int j = 0; j < n; j++) acc += pattern[(h * n + i) * n + j] * v[(j * heads + h) * dh + e];
                    Assert.True(Math.Abs(acc - z[(i * heads + h) * dh + e]) < 1e-5, $"z h{h} pos {i}");
                }
            }
    }

    [Fact]
    public void ZeroingOneHeadsOutputChangesTheResult()
    {
        var ids = Ids;
        var clean = Model.Forward([ids])[0];
        const int layer = 2, head = 5;
        var hooks = new HookSet().Override($"blocks.{layer}.attn.hook_z", z =>
        {
            var edited = z.Clone(); // [pos, head, d_head]
            int heads = z.Shape[1], dh = z.Shape[2];
            for (int p = 0; p < z.Shape[0]; p++) Array.Clear(edited.Data, (p * heads + head) * dh, dh);
            return edited;
        }).Capture($"blocks.{layer}.hook_attn_out");
        var ablated = Run(ids, hooks);
        Assert.True(BertVsOnnxRuntimeTests.MaxAbsDiff(clean.Data, ablated.Data) > 1e-3f, "zeroing a head's z left the output unchanged");

        // The change starts at that layer's attention output.
        var again = new HookSet().Capture($"blocks.{layer}.hook_attn_out");
        Run(ids, again);
        Assert.NotEqual(again.Captured[$"blocks.{layer}.hook_attn_out"].Data, hooks.Captured[$"blocks.{layer}.hook_attn_out"].Data);
    }

    [Fact]
    public void PatchingWithTheCapturedValueChangesNothing()
    {
        var ids = Ids;
        var capture = new HookSet().Capture("blocks.1.attn.hook_z", "blocks.4.attn.hook_pattern", "blocks.0.attn.hook_q", "hook_pos_embed");
        var clean = Run(ids, capture);
        var patch = new HookSet();
        foreach (var (name, value) in capture.Captured) patch.Override(name, _ => value.Clone());
        var patched = Run(ids, patch);
        Assert.Equal(clean.Data, patched.Data);
    }

    [Fact]
    public void OverridingQueriesSteersThePattern()
    {
        var ids = Ids;
        int n = ids.Length;
        // Zero queries make every score 0, so attention is uniform over the sequence.
        var hooks = new HookSet()
            .Override("blocks.0.attn.hook_q", q => new Tensor(q.Shape))
            .Capture("blocks.0.attn.hook_pattern");
        Run(ids, hooks);
        Assert.All(hooks.Captured["blocks.0.attn.hook_pattern"].Data, p => Assert.Equal(1f / n, p, 1e-6f));
    }

    [Fact]
    public void PatchingAnotherSentencesEmbeddingGivesThatSentencesOutput()
    {
        var a = Model.Tokenize("the cat sat on the mat").Ids;
        var b = Model.Tokenize("a dog ran in the fog").Ids;
        Assert.Equal(a.Length, b.Length);
        var capture = new HookSet().Capture("hook_embed");
        var outB = Run(b, capture);
        var patched = Run(a, new HookSet().Override("hook_embed", _ => capture.Captured["hook_embed"]));
        AssertClose(outB, patched, 0, "a with b's word embeddings");
    }

    [Fact]
    public void UnknownHookIsAModelErrorListingValidOnes()
    {
        var e = Assert.Throws<ModelException>(() => Run(Ids, new HookSet().Capture("blocks.0.attn.hook_qq")));
        Assert.Contains("'blocks.0.attn.hook_qq'", e.Message);
        Assert.Contains("blocks.{l}.attn.hook_q (l = 0..5)", e.Message);
        Assert.Contains("hook_embed", e.Message);
        Assert.Throws<ModelException>(() => Run(Ids, new HookSet().Override("blocks.6.hook_resid_pre", t => t)));
    }

    [Fact]
    public void OverrideWithWrongShapeIsAModelError() =>
        Assert.Throws<ModelException>(() => Run(Ids, new HookSet().Override("blocks.0.hook_attn_out", _ => new Tensor(1, 384))));

    [Fact]
    public void BadSequencesAreModelErrors()
    {
        Assert.Throws<ModelException>(() => Model.Forward([Array.Empty<int>()]));
        Assert.Throws<ModelException>(() => Model.Forward([new int[513]]));
        Assert.Throws<ModelException>(() => Model.Forward([new[] { 101, 30522, 102 }]));
    }

    private static Tensor Add(Tensor a, Tensor b)
    {
        var r = a.Clone();
        for (int i = 0; i < r.Length; i++) r.Data[i] += b.Data[i];
        return r;
    }

    private static void AssertClose(Tensor expected, Tensor actual, float tolerance, string what)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        float diff = BertVsOnnxRuntimeTests.MaxAbsDiff(expected.Data, actual.Data);
        Assert.True(diff <= tolerance, $"{what}: max abs diff {diff:g3} > {tolerance:g3}");
    }
}
