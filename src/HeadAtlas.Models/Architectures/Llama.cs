using System.Numerics.Tensors;
using HeadAtlas.Models.Tokenization;
using HeadAtlas.Models.Weights;
using HeadAtlas.Tensors;
using Tensor = HeadAtlas.Tensors.Tensor;

namespace HeadAtlas.Models.Architectures;

/// <summary>
/// The LLaMA family (LLaMA, Mistral, Qwen2): pre-norm blocks with RMSNorm, rotary positions on q and k,
/// grouped-query attention (kv_heads ≤ heads), causal (Mistral: optionally a sliding window), SwiGLU MLP
/// down(silu(gate(x)) ⊙ up(x)), a final RMSNorm. No biases except Qwen2's on q, k, v.
/// Hooks hook_q/hook_k are before RoPE, hook_rot_q/hook_rot_k after (what the dot product sees).
/// </summary>
public sealed class Llama : ITransformerModel
{
    private readonly LlamaWeights _w;
    private readonly ITextTokenizer _tokenizer;
    private readonly SelfAttention _attention;
    private readonly int _d, _heads, _kvHeads, _dHead, _dMlp;

    public Llama(string name, LlamaWeights weights, ITextTokenizer tokenizer)
    {
        _w = weights;
        _tokenizer = tokenizer;
        _d = weights.DModel;
        _heads = weights.Heads;
        _kvHeads = weights.KvHeads;
        _dHead = weights.DHead;
        _dMlp = weights.DMlp;
        _attention = new SelfAttention(_heads, _kvHeads, _dHead, causal: true, weights.SlidingWindow);
        Info = new ModelInfo(name, "llama", weights.Layers.Length, _heads, _kvHeads, _dHead, _d, weights.MaxPositions);
        HookNames = DecoderHooks.Llama(weights.Layers.Length);
    }

    public ModelInfo Info { get; }
    public IReadOnlySet<string> HookNames { get; }
    public TokenizedText Tokenize(string text)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _tokenizer.Tokenize(text);
    }

    public IReadOnlyList<Tensor> Forward(IReadOnlyList<int[]> sequences, IReadOnlyList<HookSet?>? hooks = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var batch = SequenceBatch.Create(sequences, hooks, Info, HookNames, _w.VocabSize);
        int t = batch.Total, d = _d;
        var x = new float[t * d]; // [tokens, d_model]: the residual stream
        for (int s = 0; s < batch.Count; s++)
            for (int p = 0; p < batch.Lengths[s]; p++)
                _w.TokenEmbedding.CopyRow(sequences[s][p], x.AsSpan((batch.Offsets[s] + p) * d, d));
        batch.HookRows(DecoderHooks.Embed, x, d, [d]); // [pos, d_model]

        var (cos, sin) = _w.Rope.Table(batch.Lengths.Max()); // each [pos, d_head/2]
        for (int l = 0; l < _w.Layers.Length; l++) Block(l, batch, x, cos, sin);
        Ops.RmsNormRows(x, d, _w.FinalNorm, _w.RmsEps);
        batch.HookRows(DecoderHooks.FinalNormalized, x, d, [d]); // [pos, d_model]
        return batch.Split(x, d);
    }

    private bool _disposed;

    /// <summary>Releases the memory-mapped weight files; the model cannot run afterwards.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _w.Files?.Dispose();
    }

    private void Block(int l, SequenceBatch batch, float[] x, float[] cos, float[] sin)
    {
        var w = _w.Layers[l];
        var n = DecoderHooks.Layer(l);
        int t = batch.Total, d = _d, qWidth = _heads * _dHead, kvWidth = _kvHeads * _dHead;
        batch.HookRows(n.ResidPre, x, d, [d]); // [pos, d_model]

        var h = (float[])x.Clone(); // [tokens, d_model]
        Ops.RmsNormRows(h, d, w.InputNorm, _w.RmsEps);
        batch.HookRows(n.Ln1, h, d, [d]); // [pos, d_model]

        var q = new float[t * qWidth];  // [tokens, head·d_head]
        var k = new float[t * kvWidth]; // [tokens, kv_head·d_head]
        var v = new float[t * kvWidth]; // [tokens, kv_head·d_head]
        Project(w.Q, w.QBias, h, q, t);
        Project(w.K, w.KBias, h, k, t);
        Project(w.V, w.VBias, h, v, t);
        batch.HookRows(n.Q, q, qWidth, [_heads, _dHead]);    // [pos, head, d_head]
        batch.HookRows(n.K, k, kvWidth, [_kvHeads, _dHead]); // [pos, kv_head, d_head]
        batch.HookRows(n.V, v, kvWidth, [_kvHeads, _dHead]); // [pos, kv_head, d_head]

        for (int s = 0; s < batch.Count; s++)
        {
            _w.Rope.Apply(q, batch.Offsets[s], batch.Lengths[s], _heads, cos, sin);
            _w.Rope.Apply(k, batch.Offsets[s], batch.Lengths[s], _kvHeads, cos, sin);
        }
        batch.HookRows(n.RotQ, q, qWidth, [_heads, _dHead]);    // [pos, head, d_head]
        batch.HookRows(n.RotK, k, kvWidth, [_kvHeads, _dHead]); // [pos, kv_head, d_head]

        var z = new float[t * qWidth]; // [tokens, head·d_head]
        _attention.Run(batch, n, q, k, v, z);
        batch.HookRows(n.Z, z, qWidth, [_heads, _dHead]); // [pos, head, d_head]

        var attnOut = new float[t * d]; // [tokens, d_model]
        w.O.MultiplyTransposed(z, attnOut, t);
        batch.HookRows(n.AttnOut, attnOut, d, [d]); // [pos, d_model]
        TensorPrimitives.Add(x, attnOut, x);
        batch.HookRows(n.ResidMid, x, d, [d]); // [pos, d_model]

        x.AsSpan().CopyTo(h);
        Ops.RmsNormRows(h, d, w.PostAttentionNorm, _w.RmsEps);
        batch.HookRows(n.Ln2, h, d, [d]); // [pos, d_model]

        var gate = new float[t * _dMlp]; // [tokens, d_mlp]
        var up = new float[t * _dMlp];   // [tokens, d_mlp]
        w.Gate.MultiplyTransposed(h, gate, t);
        w.Up.MultiplyTransposed(h, up, t);
        batch.HookRows(n.MlpPre, gate, _dMlp, [_dMlp]);     // [pos, d_mlp]
        batch.HookRows(n.MlpPreLinear, up, _dMlp, [_dMlp]); // [pos, d_mlp]
        Ops.Silu(gate);
        TensorPrimitives.Multiply(gate, up, gate);
        batch.HookRows(n.MlpPost, gate, _dMlp, [_dMlp]); // [pos, d_mlp]

        var mlpOut = attnOut; // reuse: [tokens, d_model]
        w.Down.MultiplyTransposed(gate, mlpOut, t);
        batch.HookRows(n.MlpOut, mlpOut, d, [d]); // [pos, d_model]
        TensorPrimitives.Add(x, mlpOut, x);
        batch.HookRows(n.ResidPost, x, d, [d]); // [pos, d_model]
    }

    /// <summary>y[t, out] = x[t, in] · Wᵀ (+ bias): a PyTorch Linear stored [out, in].</summary>
    private static void Project(WeightMatrix w, float[]? bias, float[] x, float[] y, int t)
    {
        if (bias is null) { w.MultiplyTransposed(x, y, t); return; }
        for (int r = 0; r < t; r++) bias.CopyTo(y, r * bias.Length);
        w.MultiplyTransposed(x, y, t, accumulate: true);
    }
}
