using HeadAtlas.Models;
using HeadAtlas.Tensors;

namespace HeadAtlas.Atlas;

/// <summary>
/// Runs the model over the corpus and keeps, for every attention head, what the run folder stores: the query of
/// every token, the key its queries see, and each token's attention row over its own sentence.
/// Memory: layers·(heads + kvHeads)·N·dHead + layers·heads·Σ length² floats.
/// </summary>
public sealed class HeadActivations
{
    public ModelInfo Info { get; }
    /// <summary>Tokens in the corpus.</summary>
    public int N { get; }
    /// <summary>[N + 1]: token t's attention row is Attention[...][AttentionOffsets[t] .. AttentionOffsets[t + 1]).</summary>
    public int[] AttentionOffsets { get; }

    private readonly float[][] _q;         // [layer·heads + head] → [N, dHead]
    private readonly float[][] _k;         // [layer·kvHeads + kvHead] → [N, dHead]
    private readonly float[][] _attention; // [layer·heads + head] → Σ length² floats

    /// <param name="lengths">Tokens of each sequence, in corpus order.</param>
    private HeadActivations(ModelInfo info, IReadOnlyList<int> lengths)
    {
        Info = info;
        N = lengths.Sum();
        AttentionOffsets = new int[N + 1];
        int t = 0;
        foreach (int len in lengths)
            for (int p = 0; p < len; p++, t++) AttentionOffsets[t + 1] = AttentionOffsets[t] + len;
        long attentionFloats = AttentionOffsets[N];
        _q = Enumerable.Range(0, info.Layers * info.Heads).Select(_ => new float[N * info.DHead]).ToArray();
        _k = Enumerable.Range(0, info.Layers * info.KvHeads).Select(_ => new float[N * info.DHead]).ToArray();
        _attention = Enumerable.Range(0, info.Layers * info.Heads).Select(_ => new float[attentionFloats]).ToArray();
    }

    /// <summary>Key/value head whose keys query head <paramref name="head"/> attends to (GQA groups are contiguous).</summary>
    public static int KvHeadOf(ModelInfo info, int head) => head / (info.Heads / info.KvHeads);

    public float[] Queries(int layer, int head) => _q[layer * Info.Heads + head];               // [N, dHead]
    public float[] Keys(int layer, int head) => _k[layer * Info.KvHeads + KvHeadOf(Info, head)]; // [N, dHead]
    public float[] Attention(int layer, int head) => _attention[layer * Info.Heads + head];     // Σ length²

    /// <summary>Hook names read for a layer: post-RoPE q/k where the model has them, else hook_q/hook_k.</summary>
    public static (string Q, string K, string Pattern) HookNamesFor(ITransformerModel model, int layer)
    {
        string prefix = $"blocks.{layer}.attn.";
        bool rope = model.HookNames.Contains(prefix + "hook_rot_q");
        return (prefix + (rope ? "hook_rot_q" : "hook_q"),   // [pos, head, d_head]
                prefix + (rope ? "hook_rot_k" : "hook_k"),   // [pos, kv_head, d_head]
                prefix + "hook_pattern");                    // [head, q_pos, k_pos]
    }

    /// <summary>Runs a text model over tokenized sentences.</summary>
    public static HeadActivations Extract(ITransformerModel model, IReadOnlyList<CorpusSentence> sentences, int batchSize,
        IBuildProgress progress, CancellationToken cancel) =>
        Extract(model, sentences.Select(s => s.Tokens.Ids.Length).ToList(), batchSize,
            (first, hooks) => model.Forward(Enumerable.Range(first, hooks.Count).Select(i => sentences[i].Tokens.Ids).ToList(), hooks),
            progress, cancel);

    /// <summary>Runs any model over sequences of known lengths, batch by batch, capturing q, k and the pattern.</summary>
    /// <param name="lengths">Tokens of each sequence, in corpus order.</param>
    /// <param name="forward">Runs sequences first .. first + hooks.Count − 1 through the model, hooks[i] serving
    /// sequence first + i (e.g. <see cref="ITransformerModel.Forward"/> or <see cref="IImageModel.ForwardImages"/>).</param>
    public static HeadActivations Extract(ITransformerModel model, IReadOnlyList<int> lengths, int batchSize,
        Action<int, IReadOnlyList<HookSet?>> forward, IBuildProgress progress, CancellationToken cancel)
    {
        var info = model.Info;
        if (info.KvHeads <= 0 || info.Heads % info.KvHeads != 0)
            throw new ModelException($"model '{info.Name}': {info.Heads} heads cannot be grouped over {info.KvHeads} key/value heads");
        var acts = new HeadActivations(info, lengths);
        var names = Enumerable.Range(0, info.Layers).Select(l => HookNamesFor(model, l)).ToArray();
        var stage = progress.Start("forward pass", lengths.Count);
        int firstToken = 0;
        for (int b = 0; b < lengths.Count; b += batchSize)
        {
            cancel.ThrowIfCancellationRequested();
            int count = Math.Min(batchSize, lengths.Count - b);
            var hooks = Enumerable.Range(0, count).Select(_ =>
            {
                var h = new HookSet();
                foreach (var n in names) h.Capture(n.Q, n.K, n.Pattern);
                return (HookSet?)h;
            }).ToList();
            forward(b, hooks);
            for (int i = 0; i < count; i++)
            {
                int len = lengths[b + i];
                for (int l = 0; l < info.Layers; l++)
                    acts.Store(l, firstToken, len, hooks[i]!.Captured, names[l]);
                firstToken += len;
            }
            stage.Report(b + count);
        }
        stage.Complete();
        return acts;
    }

    private void Store(int layer, int firstToken, int len, Dictionary<string, Tensor> captured, (string Q, string K, string Pattern) names)
    {
        int heads = Info.Heads, kvHeads = Info.KvHeads, dHead = Info.DHead;
        var q = Hook(captured, names.Q, len, heads, dHead);          // [pos, head, d_head]
        var k = Hook(captured, names.K, len, kvHeads, dHead);        // [pos, kv_head, d_head]
        var pattern = Hook(captured, names.Pattern, heads, len, len); // [head, q_pos, k_pos]
        for (int p = 0; p < len; p++)
        {
            int t = firstToken + p;
            for (int h = 0; h < heads; h++)
                q.Data.AsSpan((p * heads + h) * dHead, dHead).CopyTo(_q[layer * heads + h].AsSpan(t * dHead));
            for (int h = 0; h < kvHeads; h++)
                k.Data.AsSpan((p * kvHeads + h) * dHead, dHead).CopyTo(_k[layer * kvHeads + h].AsSpan(t * dHead));
            for (int h = 0; h < heads; h++)
                pattern.Data.AsSpan((h * len + p) * len, len).CopyTo(_attention[layer * heads + h].AsSpan(AttentionOffsets[t]));
        }
    }

    private Tensor Hook(Dictionary<string, Tensor> captured, string name, params int[] shape)
    {
        if (!captured.TryGetValue(name, out var t))
            throw new ModelException($"model '{Info.Name}' did not provide hook '{name}'");
        if (!t.Shape.AsSpan().SequenceEqual(shape))
            throw new ModelException($"model '{Info.Name}': hook '{name}' has shape [{string.Join(", ", t.Shape)}], expected [{string.Join(", ", shape)}]");
        return t;
    }
}
