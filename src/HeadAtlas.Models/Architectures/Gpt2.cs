using System.Numerics.Tensors;
using HeadAtlas.Models.Tokenization;
using HeadAtlas.Models.Weights;
using HeadAtlas.Tensors;
using Tensor = HeadAtlas.Tensors.Tensor;

namespace HeadAtlas.Models.Architectures;

/// <summary>
/// GPT-2: learned positions, pre-norm blocks (LayerNorm before attention and before the MLP), causal attention,
/// tanh-GELU MLP, a final LayerNorm. Its Conv1D weights are stored [in, out], so x·W needs no transpose.
/// </summary>
public sealed class Gpt2 : ITransformerModel
{
    private readonly Gpt2Weights _w;
    private readonly ITextTokenizer _tokenizer;
    private readonly SelfAttention _attention;
    private readonly int _d, _heads, _dHead, _dMlp;

    public Gpt2(string name, Gpt2Weights weights, ITextTokenizer tokenizer)
    {
        _w = weights;
        _tokenizer = tokenizer;
        _d = weights.DModel;
        _heads = weights.Heads;
        _dHead = _d / _heads;
        _dMlp = weights.DMlp;
        _attention = new SelfAttention(_heads, _heads, _dHead);
        Info = new ModelInfo(name, "gpt2", weights.Layers.Length, _heads, _heads, _dHead, _d, weights.MaxPositions);
        HookNames = DecoderHooks.Gpt2(weights.Layers.Length);
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
        var x = new float[t * d];   // [tokens, d_model]: the residual stream
        var pos = new float[t * d]; // [tokens, d_model]
        for (int s = 0; s < batch.Count; s++)
            for (int p = 0; p < batch.Lengths[s]; p++)
            {
                int row = (batch.Offsets[s] + p) * d;
                _w.TokenEmbedding.CopyRow(sequences[s][p], x.AsSpan(row, d));
                _w.PositionEmbedding.AsSpan(p * d, d).CopyTo(pos.AsSpan(row, d));
            }
        batch.HookRows(DecoderHooks.Embed, x, d, [d]);      // [pos, d_model]
        batch.HookRows(DecoderHooks.PosEmbed, pos, d, [d]); // [pos, d_model]
        TensorPrimitives.Add(x, pos, x);

        for (int l = 0; l < _w.Layers.Length; l++) Block(l, batch, x);
        Ops.LayerNormRows(x, d, _w.LnFGamma, _w.LnFBeta, _w.LayerNormEps);
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

    private void Block(int l, SequenceBatch batch, float[] x)
    {
        var w = _w.Layers[l];
        var n = DecoderHooks.Layer(l);
        int t = batch.Total, d = _d;
        batch.HookRows(n.ResidPre, x, d, [d]); // [pos, d_model]

        var h = (float[])x.Clone(); // [tokens, d_model]
        Ops.LayerNormRows(h, d, w.Ln1Gamma, w.Ln1Beta, _w.LayerNormEps);
        batch.HookRows(n.Ln1, h, d, [d]); // [pos, d_model]

        var qkv = new float[t * 3 * d]; // [tokens, 3·d_model]: [q | k | v], each [head, d_head]
        Affine(w.CAttn, w.CAttnBias, h, qkv, t);
        var q = new float[t * d]; // [tokens, head·d_head]
        var k = new float[t * d];
        var v = new float[t * d];
        for (int r = 0; r < t; r++)
        {
            qkv.AsSpan(r * 3 * d, d).CopyTo(q.AsSpan(r * d, d));
            qkv.AsSpan(r * 3 * d + d, d).CopyTo(k.AsSpan(r * d, d));
            qkv.AsSpan(r * 3 * d + 2 * d, d).CopyTo(v.AsSpan(r * d, d));
        }
        batch.HookRows(n.Q, q, d, [_heads, _dHead]); // [pos, head, d_head]
        batch.HookRows(n.K, k, d, [_heads, _dHead]); // [pos, head, d_head]
        batch.HookRows(n.V, v, d, [_heads, _dHead]); // [pos, head, d_head]

        var z = new float[t * d]; // [tokens, head·d_head]
        _attention.Run(batch, n, q, k, v, z);
        batch.HookRows(n.Z, z, d, [_heads, _dHead]); // [pos, head, d_head]

        var attnOut = new float[t * d]; // [tokens, d_model]
        Affine(w.AttnProj, w.AttnProjBias, z, attnOut, t);
        batch.HookRows(n.AttnOut, attnOut, d, [d]); // [pos, d_model]
        TensorPrimitives.Add(x, attnOut, x);
        batch.HookRows(n.ResidMid, x, d, [d]); // [pos, d_model]

        x.AsSpan().CopyTo(h);
        Ops.LayerNormRows(h, d, w.Ln2Gamma, w.Ln2Beta, _w.LayerNormEps);
        batch.HookRows(n.Ln2, h, d, [d]); // [pos, d_model]

        var hidden = new float[t * _dMlp]; // [tokens, d_mlp]
        Affine(w.Fc, w.FcBias, h, hidden, t);
        batch.HookRows(n.MlpPre, hidden, _dMlp, [_dMlp]); // [pos, d_mlp]
        if (_w.TanhGelu) Ops.GeluTanh(hidden); else Ops.GeluErf(hidden);
        batch.HookRows(n.MlpPost, hidden, _dMlp, [_dMlp]); // [pos, d_mlp]

        var mlpOut = attnOut; // reuse: [tokens, d_model]
        Affine(w.MlpProj, w.MlpProjBias, hidden, mlpOut, t);
        batch.HookRows(n.MlpOut, mlpOut, d, [d]); // [pos, d_model]
        TensorPrimitives.Add(x, mlpOut, x);
        batch.HookRows(n.ResidPost, x, d, [d]); // [pos, d_model]
    }

    /// <summary>y[t, out] = x[t, in] · W[in, out] + bias[out] (Conv1D).</summary>
    private static void Affine(WeightMatrix w, float[] bias, float[] x, float[] y, int t)
    {
        for (int r = 0; r < t; r++) bias.CopyTo(y, r * bias.Length);
        w.Multiply(x, y, t, accumulate: true);
    }
}
