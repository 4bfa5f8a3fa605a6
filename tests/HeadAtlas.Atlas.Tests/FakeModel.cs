using HeadAtlas.Models;
using HeadAtlas.Tensors;

namespace HeadAtlas.Atlas.Tests;

/// <summary>
/// A tiny deterministic stand-in for a transformer: words are tokens ([CLS] w1 w2 … [SEP]), q and k are
/// pseudo-random functions of (layer, head, token id, position), and the pattern is the real softmax(q·kᵀ/√d) of
/// each query head with its GQA group's key — so a test can recompute it from the stored q and k.
/// </summary>
public sealed class FakeModel : ITransformerModel
{
    public const int Cls = 1, Sep = 2;

    public FakeModel(int layers = 2, int heads = 4, int kvHeads = 2, int dHead = 8, int maxPositions = 24)
    {
        Info = new ModelInfo("fake", "bert", layers, heads, kvHeads, dHead, dHead * heads, maxPositions);
        var names = new HashSet<string>();
        for (int l = 0; l < layers; l++)
            foreach (var h in new[] { "hook_q", "hook_k", "hook_pattern" }) names.Add($"blocks.{l}.attn.{h}");
        HookNames = names;
    }

    public ModelInfo Info { get; }
    public IReadOnlySet<string> HookNames { get; }
    /// <summary>Called before each Forward with the number of Forward calls so far (tests cancel from here).</summary>
    public Action<int>? BeforeForward { get; set; }
    public int ForwardCalls { get; private set; }

    public void Dispose() { } // holds no files

    public TokenizedText Tokenize(string text)
    {
        var words = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        int room = Info.MaxPositions - 2;
        bool truncated = words.Length > room;
        if (truncated) words = words[..room];
        var tokens = new[] { "[CLS]" }.Concat(words).Append("[SEP]").ToArray();
        var ids = tokens.Select((t, i) => i == 0 ? Cls : i == tokens.Length - 1 ? Sep : 3 + (int)(StableHash(t) % 997)).ToArray();
        var special = tokens.Select((_, i) => i == 0 || i == tokens.Length - 1).ToArray();
        return new TokenizedText(ids, tokens, special, truncated);
    }

    public IReadOnlyList<Tensor> Forward(IReadOnlyList<int[]> sequences, IReadOnlyList<HookSet?>? hooks = null)
    {
        BeforeForward?.Invoke(ForwardCalls);
        ForwardCalls++;
        var outputs = new List<Tensor>();
        for (int s = 0; s < sequences.Count; s++)
        {
            var ids = sequences[s];
            var hookSet = hooks?[s];
            if (hookSet is not null && hookSet.UnknownNames(HookNames).FirstOrDefault() is { } unknown)
                throw new ModelException($"unknown hook '{unknown}'");
            int len = ids.Length, H = Info.Heads, KV = Info.KvHeads, D = Info.DHead;
            for (int l = 0; l < Info.Layers; l++)
            {
                var q = new Tensor(len, H, D);   // [pos, head, d_head]
                var k = new Tensor(len, KV, D);  // [pos, kv_head, d_head]
                for (int p = 0; p < len; p++)
                {
                    for (int h = 0; h < H; h++) Fill(q.Data.AsSpan((p * H + h) * D, D), l, h, ids[p], p, 0);
                    for (int h = 0; h < KV; h++) Fill(k.Data.AsSpan((p * KV + h) * D, D), l, h, ids[p], p, 1);
                }
                var pattern = new Tensor(H, len, len); // [head, q_pos, k_pos]
                for (int h = 0; h < H; h++)
                {
                    int kv = h / (H / KV);
                    for (int i = 0; i < len; i++)
                    {
                        var row = pattern.Data.AsSpan((h * len + i) * len, len);
                        for (int j = 0; j < len; j++)
                        {
                            double dot = 0;
                            for (int d = 0; d < D; d++) dot += q.Data[(i * H + h) * D + d] * k.Data[(j * KV + kv) * D + d];
                            row[j] = (float)(dot / Math.Sqrt(D));
                        }
                        Softmax(row);
                    }
                }
                hookSet?.Apply($"blocks.{l}.attn.hook_q", q);
                hookSet?.Apply($"blocks.{l}.attn.hook_k", k);
                hookSet?.Apply($"blocks.{l}.attn.hook_pattern", pattern);
            }
            outputs.Add(new Tensor(len, Info.DModel));
        }
        return outputs;
    }

    /// <summary>Softmax in double precision: the reference the tests compare stored patterns with.</summary>
    public static void Softmax(Span<float> row)
    {
        float max = float.NegativeInfinity;
        foreach (var v in row) max = Math.Max(max, v);
        double sum = 0;
        for (int j = 0; j < row.Length; j++) sum += Math.Exp(row[j] - max);
        for (int j = 0; j < row.Length; j++) row[j] = (float)(Math.Exp(row[j] - max) / sum);
    }

    // A vector drawn from a generator seeded by its coordinates: same inputs, same vector, on any machine.
    private static void Fill(Span<float> v, int layer, int head, int id, int pos, int which)
    {
        var rng = new Random((((layer * 31 + head) * 1009 + id) * 7 + pos % 7) * 2 + which);
        for (int d = 0; d < v.Length; d++) v[d] = (float)(rng.NextDouble() * 2 - 1) + (which == 1 ? 0.5f : 0f);
    }

    private static uint StableHash(string s)
    {
        uint h = 2166136261;
        foreach (char c in s) h = (h ^ c) * 16777619;
        return h;
    }
}
