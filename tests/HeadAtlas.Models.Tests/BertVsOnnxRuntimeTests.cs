using HeadAtlas.Models;
using HeadAtlas.Tensors;
using Xunit.Abstractions;

namespace HeadAtlas.Models.Tests;

/// <summary>Our BERT forward pass against ONNX Runtime on the same MiniLM weights.</summary>
public sealed class BertVsOnnxRuntimeTests(ITestOutputHelper output)
{
    private const float Tolerance = 1e-4f;

    public static readonly string[] Sentences =
    [
        "The whale, it seemed, was white.",
        "Call me Ishmael. Some years ago—never mind how long precisely—having little or no money in my purse...",
        "In 1851, 3.5 million barrels (or 42%?) were sold for $12,000.",
        "\"Quoted,\" she said; 'single quotes' & [brackets] {braces} <angles>!",
        "Café naïve résumé — 東京 and Москва, emoji 🐋 too.",
        LongText(),
    ];

    /// <summary>About 300 word pieces.</summary>
    public static string LongText() => string.Join(" ", Enumerable.Range(0, 22).Select(i =>
        $"Sentence number {i} tells of the sea, the ship and its {i * 7} sailors."));

    [Fact]
    public void LongTextIsAboutThreeHundredTokens()
    {
        int n = BuiltinModels.Load("minilm").Tokenize(LongText()).Ids.Length;
        Assert.InRange(n, 250, 400);
    }

    [Fact]
    public void QueriesKeysValuesPatternsAndOutputMatchOnnxRuntime()
    {
        var model = BuiltinModels.Load("minilm");
        var reference = OnnxRuntimeReference.Instance;
        var worst = new Dictionary<string, float>();
        foreach (var sentence in Sentences)
        {
            var ids = model.Tokenize(sentence).Ids;
            var hooks = new HookSet();
            for (int l = 0; l < model.Info.Layers; l++)
                hooks.Capture($"blocks.{l}.attn.hook_q", $"blocks.{l}.attn.hook_k", $"blocks.{l}.attn.hook_v", $"blocks.{l}.attn.hook_pattern");
            var last = model.Forward([ids], [hooks])[0];
            var expected = reference.Run(ids);

            void Compare(string kind, float[] ours, float[] theirs, string where)
            {
                Assert.Equal(theirs.Length, ours.Length);
                float diff = MaxAbsDiff(ours, theirs);
                worst[kind] = Math.Max(worst.GetValueOrDefault(kind), diff);
                Assert.True(diff <= Tolerance, $"{where}: max |ours - onnxruntime| = {diff:g3} on \"{sentence[..Math.Min(40, sentence.Length)]}\" ({ids.Length} tokens)");
            }

            for (int l = 0; l < model.Info.Layers; l++)
            {
                var names = reference.LayerOutputs[l];
                Compare("hook_q", hooks.Captured[$"blocks.{l}.attn.hook_q"].Data, expected[names.Q], $"layer {l} q");
                Compare("hook_k", hooks.Captured[$"blocks.{l}.attn.hook_k"].Data, expected[names.K], $"layer {l} k");
                Compare("hook_v", hooks.Captured[$"blocks.{l}.attn.hook_v"].Data, expected[names.V], $"layer {l} v");
                Compare("hook_pattern", hooks.Captured[$"blocks.{l}.attn.hook_pattern"].Data, expected[names.Pattern], $"layer {l} pattern");
            }
            Compare("last_hidden_state", last.Data, expected["last_hidden_state"], "last hidden state");
            // Without hooks attention takes its other path (head by head, no [head, q, k] tensor): same answer.
            Compare("last_hidden_state", model.Forward([ids])[0].Data, expected["last_hidden_state"], "last hidden state, no hooks");
        }
        foreach (var (kind, diff) in worst) output.WriteLine($"max abs diff {kind}: {diff:g3}");
    }

    [Fact]
    public void BatchedForwardEqualsOneSequenceAtATime()
    {
        var model = BuiltinModels.Load("minilm");
        var ids = Sentences.Take(5).Select(s => model.Tokenize(s).Ids).ToList();
        var together = model.Forward(ids);
        for (int s = 0; s < ids.Count; s++)
        {
            var alone = model.Forward([ids[s]])[0];
            Assert.Equal(alone.Shape, together[s].Shape);
            Assert.True(MaxAbsDiff(alone.Data, together[s].Data) <= 1e-5f, $"sequence {s} differs when batched");
        }
    }

    public static float MaxAbsDiff(float[] a, float[] b)
    {
        float max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, MathF.Abs(a[i] - b[i]));
        return max;
    }
}
