using HeadAtlas.Tensors;
using Xunit.Abstractions;

namespace HeadAtlas.Models.Tests;

/// <summary>
/// Models loaded from Hugging Face folders against PyTorch: tests/fixtures/make_fixtures.py writes tiny random-weight
/// models and their activations computed independently (plain torch, no transformers library).
/// </summary>
public sealed class FolderModelTests(ITestOutputHelper output)
{
    public static TheoryData<string, string> Fixtures_ => new()
    {
        { "bert", "bert" }, { "gpt2", "gpt2" }, { "gpt2-f16", "gpt2" }, { "llama", "llama" }, { "llama-bf16", "llama" },
        { "qwen2", "llama" }, { "mistral", "llama" },
    };

    [Theory]
    [MemberData(nameof(Fixtures_))]
    public void HooksMatchPyTorch(string fixture, string architecture)
    {
        using var model = ModelLoader.Load(Fixtures.Folder(fixture));
        Assert.Equal(architecture, model.Info.Architecture);
        var reference = Fixtures.Load(fixture);
        var hooks = new HookSet().Capture(reference.Hooks.Keys);
        model.Forward([reference.Ids], [hooks]);
        float worst = 0;
        foreach (var (name, expected) in reference.Hooks)
        {
            Assert.True(hooks.Captured.TryGetValue(name, out var actual), $"{fixture}: hook {name} not captured");
            float diff = Fixtures.MaxAbsDiff(expected, actual);
            Assert.True(diff <= 1e-4f, $"{fixture}: {name} differs from PyTorch by {diff}");
            worst = Math.Max(worst, diff);
        }
        output.WriteLine($"{fixture}: {reference.Hooks.Count} hooks, max |ours − PyTorch| = {worst:E2}");
    }

    [Theory]
    [InlineData("gpt2")]
    [InlineData("llama")]
    [InlineData("qwen2")]
    [InlineData("mistral")]
    public void NoQueryAttendsToALaterKey(string fixture)
    {
        using var model = ModelLoader.Load(Fixtures.Folder(fixture));
        var ids = Fixtures.Load(fixture).Ids;
        var hooks = new HookSet(captureAll: true);
        model.Forward([ids], [hooks]);
        int n = ids.Length;
        for (int l = 0; l < model.Info.Layers; l++)
        {
            var pattern = hooks.Captured[$"blocks.{l}.attn.hook_pattern"]; // [head, q_pos, k_pos]
            var scores = hooks.Captured[$"blocks.{l}.attn.hook_attn_scores"];
            for (int h = 0; h < model.Info.Heads; h++)
                for (int i = 0; i < n; i++)
                    for (int j = i + 1; j < n; j++)
                    {
                        Assert.Equal(0f, pattern.Data[(h * n + i) * n + j]);
                        Assert.Equal(float.NegativeInfinity, scores.Data[(h * n + i) * n + j]);
                    }
        }
    }

    [Fact]
    public void SlidingWindowHidesKeysOutsideIt()
    {
        using var model = ModelLoader.Load(Fixtures.Folder("mistral")); // sliding_window 5
        var ids = Fixtures.Load("mistral").Ids;
        var hooks = new HookSet().Capture("blocks.0.attn.hook_pattern");
        model.Forward([ids], [hooks]);
        var p = hooks.Captured["blocks.0.attn.hook_pattern"];
        int n = ids.Length;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                float v = p.Data[i * n + j]; // head 0
                if (j > i || j <= i - 5) Assert.Equal(0f, v); else Assert.True(v > 0, $"query {i} should see key {j}");
            }
    }

    [Fact]
    public void GroupedQueryAttentionKeepsOneKeyPerGroup()
    {
        using var model = ModelLoader.Load(Fixtures.Folder("llama")); // 4 query heads over 2 key/value heads
        Assert.Equal((4, 2), (model.Info.Heads, model.Info.KvHeads));
        var ids = Fixtures.Load("llama").Ids;
        int n = ids.Length, dh = model.Info.DHead;
        var hooks = new HookSet().Capture("blocks.1.attn.hook_rot_q", "blocks.1.attn.hook_rot_k", "blocks.1.attn.hook_pattern");
        model.Forward([ids], [hooks]);
        var q = hooks.Captured["blocks.1.attn.hook_rot_q"];   // [pos, head, d_head]
        var k = hooks.Captured["blocks.1.attn.hook_rot_k"];   // [pos, kv_head, d_head]
        var p = hooks.Captured["blocks.1.attn.hook_pattern"]; // [head, q_pos, k_pos]
        Assert.Equal([n, 2, dh], k.Shape);
        // Heads 0 and 1 read kv head 0; heads 2 and 3 read kv head 1: recompute each head's pattern from its group's keys.
        for (int h = 0; h < 4; h++)
        {
            int kvh = h / 2;
            for (int i = 0; i < n; i++)
            {
                var row = new double[i + 1];
                for (int j = 0; j <= i; j++)
                {
                    double dot = 0;
                    for (int c = 0; c < dh; c++) dot += q.Data[(i * 4 + h) * dh + c] * k.Data[(j * 2 + kvh) * dh + c];
                    row[j] = dot / Math.Sqrt(dh);
                }
                double max = row.Max(), sum = row.Sum(r => Math.Exp(r - max));
                for (int j = 0; j <= i; j++)
                    Assert.True(Math.Abs(Math.Exp(row[j] - max) / sum - p.Data[(h * n + i) * n + j]) < 1e-5, $"head {h} query {i} key {j}");
            }
        }
    }

    [Theory]
    [InlineData("llama", "llama-bf16", 1f / 256)]
    [InlineData("gpt2", "gpt2-f16", 1f / 2048)]
    public void HalfPrecisionWeightsGiveTheF32ActivationsWithinRounding(string f32, string half, float epsilon)
    {
        var ids = Fixtures.Load(f32).Ids;
        Tensor Final(string fixture)
        {
            using var model = ModelLoader.Load(Fixtures.Folder(fixture));
            return model.Forward([ids])[0]; // [pos, d_model]
        }
        var a = Final(f32);
        var b = Final(half);
        float scale = a.Data.Max(Math.Abs);
        float diff = Fixtures.MaxAbsDiff(a, b);
        output.WriteLine($"{half} vs {f32}: max diff {diff:E2} (max |value| {scale:F2}, dtype epsilon {epsilon:E2})");
        Assert.True(diff > 0, "the half-precision copy should really be rounded");
        // Two layers of rounded weights: the error stays within a small multiple of the dtype's relative precision.
        Assert.True(diff <= 8 * epsilon * scale, $"{half}: differs from {f32} by {diff}");
    }

    [Fact]
    public void ByteLevelBpeTokenizerReadsVocabAndMerges()
    {
        using var gpt2 = ModelLoader.Load(Fixtures.Folder("gpt2"));
        var t = gpt2.Tokenize(" the whale");
        Assert.Equal([258, 263], t.Ids); // "Ġthe", "Ġwhale" after the fixture's merges
        Assert.Equal([" the", " whale"], t.Tokens);
        Assert.All(t.IsSpecial, Assert.False);

        using var llama = ModelLoader.Load(Fixtures.Folder("llama")); // add_bos_token: true, bos_token_id 264 ("<s>")
        var u = llama.Tokenize(" the whale");
        Assert.Equal([264, 258, 263], u.Ids);
        Assert.True(u.IsSpecial[0]);
        Assert.Equal("<s>", u.Tokens[0]);

        using var qwen = ModelLoader.Load(Fixtures.Folder("qwen2")); // add_bos_token: false
        Assert.Equal([258, 263], qwen.Tokenize(" the whale").Ids);
    }

    [Fact]
    public void SentencePieceTokenizerReadsTokenizerModel()
    {
        // The mistral fixture's tokenizer.model: unigram pieces "▁the" = 259, "▁whale" = 260, <s> = 1, bytes 3..258.
        using var mistral = ModelLoader.Load(Fixtures.Folder("mistral"));
        var t = mistral.Tokenize("the whale");
        Assert.Equal([1, 259, 260], t.Ids);
        Assert.Equal([true, false, false], t.IsSpecial);
        Assert.Equal("<s>", t.Tokens[0]);
    }

    [Fact]
    public void TokenizerTruncatesToThePositions()
    {
        using var gpt2 = ModelLoader.Load(Fixtures.Folder("gpt2")); // n_positions 24
        var t = gpt2.Tokenize(string.Concat(Enumerable.Repeat(" the", 40)));
        Assert.True(t.Truncated);
        Assert.Equal(24, t.Ids.Length);
        gpt2.Forward([t.Ids]);
    }

    [Fact]
    public void WordPieceTokenizerReadsVocabTxt()
    {
        using var bert = ModelLoader.Load(Fixtures.Folder("bert"));
        var t = bert.Tokenize("The white whale. Call me Ishmael");
        Assert.Equal([2, 5, 7, 6, 14, 9, 10, 11, 12, 3], t.Ids);
    }

    [Fact]
    public void BatchedSequencesMatchSingleRuns()
    {
        using var model = ModelLoader.Load(Fixtures.Folder("qwen2"));
        var ids = Fixtures.Load("qwen2").Ids;
        int[] shorter = ids[..6];
        var both = model.Forward([ids, shorter]);
        Assert.True(Fixtures.MaxAbsDiff(model.Forward([ids])[0], both[0]) < 1e-5);
        Assert.True(Fixtures.MaxAbsDiff(model.Forward([shorter])[0], both[1]) < 1e-5);
    }

    [Fact]
    public void EveryHookHasItsDocumentedShape()
    {
        using var model = ModelLoader.Load(Fixtures.Folder("llama"));
        var info = model.Info;
        var ids = Fixtures.Load("llama").Ids;
        int n = ids.Length;
        var hooks = new HookSet(captureAll: true);
        model.Forward([ids], [hooks]);
        Assert.Equal(model.HookNames.Order(), hooks.Captured.Keys.Order());
        foreach (var (name, t) in hooks.Captured)
        {
            int[] expected = name switch
            {
                _ when name.EndsWith("hook_attn_scores") || name.EndsWith("hook_pattern") => [info.Heads, n, n],
                _ when name.EndsWith("attn.hook_k") || name.EndsWith("attn.hook_v") || name.EndsWith("hook_rot_k") => [n, info.KvHeads, info.DHead],
                _ when name.EndsWith("attn.hook_q") || name.EndsWith("hook_rot_q") || name.EndsWith("attn.hook_z") => [n, info.Heads, info.DHead],
                _ when name.Contains(".mlp.hook_") => [n, 48],
                _ => [n, info.DModel],
            };
            Assert.True(expected.SequenceEqual(t.Shape), $"{name}: shape [{string.Join(", ", t.Shape)}]");
        }
    }

    [Fact]
    public void OverridingAHookChangesTheOutput()
    {
        using var model = ModelLoader.Load(Fixtures.Folder("gpt2"));
        var ids = Fixtures.Load("gpt2").Ids;
        var plain = model.Forward([ids])[0];
        var zeroed = new HookSet().Override("blocks.0.attn.hook_z", z => new Tensor(z.Shape));
        var ablated = model.Forward([ids], [zeroed])[0];
        Assert.True(Fixtures.MaxAbsDiff(plain, ablated) > 1e-3);
    }
}
