using System.Buffers;
using System.Numerics.Tensors;
using HeadAtlas.Models.Tokenization;
using HeadAtlas.Tensors;
using Tensor = HeadAtlas.Tensors.Tensor;

namespace HeadAtlas.Models.Architectures;

/// <summary>
/// A BERT encoder (post-norm layers, exact GELU, learned positions, token type 0), with TransformerLens hook points.
/// All tokens of all sequences of a batch go through the linear layers together as one [tokens, d_model] matrix;
/// attention runs per sequence, so no padding is needed.
/// </summary>
public sealed class Bert : ITransformerModel
{
    private readonly BertWeights _w;
    private readonly BertTextTokenizer _tokenizer;
    private readonly int _d, _heads, _dHead, _dMlp;
    private readonly float _scale; // 1/sqrt(d_head)

    public Bert(string name, BertWeights weights, BertTextTokenizer tokenizer)
    {
        _w = weights;
        _tokenizer = tokenizer;
        _d = weights.DModel;
        _heads = weights.Heads;
        _dHead = weights.DHead;
        _dMlp = weights.DMlp;
        _scale = 1f / MathF.Sqrt(_dHead);
        if (tokenizer.VocabSize != weights.VocabSize)
            throw new ModelException($"{name}: vocabulary has {tokenizer.VocabSize} tokens but the embedding matrix has {weights.VocabSize} rows");
        Info = new ModelInfo(name, "bert", weights.Layers.Length, _heads, _heads, _dHead, _d, weights.MaxPositions);
        HookNames = BertHooks.All(weights.Layers.Length);
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
        int t = batch.Total;
        var x = new float[t * _d]; // [tokens, d_model]: the residual stream of every token of every sequence
        Embed(sequences, batch, x);
        // Scratch reused by every layer; each layer overwrites all of it.
        var scratch = new LayerScratch(
            Qkv: new float[t * 3 * _d], // [tokens, 3·d_model]
            Z: new float[t * _d],       // [tokens, head·d_head]
            Out: new float[t * _d],     // [tokens, d_model]
            Hidden: new float[t * _dMlp]); // [tokens, d_mlp]
        for (int l = 0; l < _w.Layers.Length; l++) Layer(l, batch, x, scratch);

        var outputs = new Tensor[sequences.Count];
        for (int s = 0; s < sequences.Count; s++)
            outputs[s] = new Tensor(x.AsSpan(batch.Offsets[s] * _d, batch.Lengths[s] * _d).ToArray(), batch.Lengths[s], _d); // [pos, d_model]
        return outputs;
    }

    /// <summary>True for a built-in model, which the whole process shares: Dispose leaves it usable.</summary>
    public bool SharedByProcess { get; init; }

    private bool _disposed;

    /// <summary>BERT's weights are fp32 arrays (copied out of the ONNX graph or the safetensors): nothing stays mapped,
    /// so Dispose only marks the model unusable (not at all for a shared built-in).</summary>
    public void Dispose()
    {
        if (!SharedByProcess) _disposed = true;
    }

    private void Embed(IReadOnlyList<int[]> sequences, SequenceBatch batch, float[] x)
    {
        int d = _d;
        var tokenType0 = _w.TokenTypeEmbeddings.AsSpan(0, d); // [d_model]: every token is of type 0 (one segment)
        if (!batch.AnyWants(BertHooks.Embed) && !batch.AnyWants(BertHooks.PosEmbed) && !batch.AnyWants(BertHooks.TokenTypeEmbed))
        {
            for (int s = 0; s < sequences.Count; s++)
                for (int p = 0; p < sequences[s].Length; p++)
                {
                    var row = x.AsSpan((batch.Offsets[s] + p) * d, d);
                    TensorPrimitives.Add(_w.WordEmbeddings.AsSpan(sequences[s][p] * d, d), _w.PositionEmbeddings.AsSpan(p * d, d), row);
                    TensorPrimitives.Add(row, tokenType0, row);
                }
        }
        else
        {
            var word = new float[x.Length]; // [tokens, d_model]
            var pos = new float[x.Length];  // [tokens, d_model]
            var type = new float[x.Length]; // [tokens, d_model]
            for (int s = 0; s < sequences.Count; s++)
                for (int p = 0; p < sequences[s].Length; p++)
                {
                    int row = (batch.Offsets[s] + p) * d;
                    _w.WordEmbeddings.AsSpan(sequences[s][p] * d, d).CopyTo(word.AsSpan(row, d));
                    _w.PositionEmbeddings.AsSpan(p * d, d).CopyTo(pos.AsSpan(row, d));
                    tokenType0.CopyTo(type.AsSpan(row, d));
                }
            batch.HookRows(BertHooks.Embed, word, d, [d]);          // [pos, d_model]
            batch.HookRows(BertHooks.PosEmbed, pos, d, [d]);        // [pos, d_model]
            batch.HookRows(BertHooks.TokenTypeEmbed, type, d, [d]); // [pos, d_model]
            TensorPrimitives.Add(word, pos, x);
            TensorPrimitives.Add(x, type, x);
        }
        Ops.LayerNormRows(x, d, _w.EmbedLnGamma, _w.EmbedLnBeta, _w.LayerNormEps);
    }

    private sealed record LayerScratch(float[] Qkv, float[] Z, float[] Out, float[] Hidden);

    private void Layer(int l, SequenceBatch batch, float[] x, LayerScratch scratch)
    {
        var w = _w.Layers[l];
        var names = BertHooks.Layer(l);
        int t = batch.Total, d = _d;

        batch.HookRows(names.ResidPre, x, d, [d]); // [pos, d_model]

        var qkv = scratch.Qkv; // [tokens, 3·d_model]: per token [q | k | v], each [head, d_head]
        Linear(x, w.Wqkv, w.Bqkv, qkv, t, d, 3 * d);
        batch.HookColumns(names.Q, qkv, 3 * d, 0, d, [_heads, _dHead]);     // [pos, head, d_head]
        batch.HookColumns(names.K, qkv, 3 * d, d, d, [_heads, _dHead]);     // [pos, head, d_head]
        batch.HookColumns(names.V, qkv, 3 * d, 2 * d, d, [_heads, _dHead]); // [pos, head, d_head]

        var z = scratch.Z; // [tokens, head·d_head]
        Attention(batch, names, qkv, z);
        batch.HookColumns(names.Z, z, d, 0, d, [_heads, _dHead]); // [pos, head, d_head]

        var attnOut = scratch.Out; // [tokens, d_model]
        Linear(z, w.Wo, w.Bo, attnOut, t, d, d);
        batch.HookRows(names.AttnOut, attnOut, d, [d]); // [pos, d_model]

        TensorPrimitives.Add(x, attnOut, x);
        batch.HookRows(names.ResidMid, x, d, [d]); // [pos, d_model]: resid_pre + attn_out, before the norm
        Ops.LayerNormRows(x, d, w.Ln1Gamma, w.Ln1Beta, _w.LayerNormEps);
        batch.HookRows(names.Ln1Normalized, x, d, [d]); // [pos, d_model]

        var hidden = scratch.Hidden; // [tokens, d_mlp]
        Linear(x, w.W1, w.B1, hidden, t, d, _dMlp);
        batch.HookRows(names.MlpPre, hidden, _dMlp, [_dMlp]); // [pos, d_mlp]
        Gelu(hidden);
        batch.HookRows(names.MlpPost, hidden, _dMlp, [_dMlp]); // [pos, d_mlp]

        var mlpOut = attnOut; // reuse: [tokens, d_model]
        Linear(hidden, w.W2, w.B2, mlpOut, t, _dMlp, d);
        batch.HookRows(names.MlpOut, mlpOut, d, [d]); // [pos, d_model]

        TensorPrimitives.Add(x, mlpOut, x);
        batch.HookRows(names.ResidPost, x, d, [d]); // [pos, d_model]: normalized resid_mid + mlp_out, before the norm
        Ops.LayerNormRows(x, d, w.Ln2Gamma, w.Ln2Beta, _w.LayerNormEps);
        batch.HookRows(names.NormalizedResidPost, x, d, [d]); // [pos, d_model]: the layer's output
    }

    /// <summary>Exact GELU over the MLP's hidden layer, split across cores in 64k-element chunks.</summary>
    private static void Gelu(float[] hidden)
    {
        const int chunk = 1 << 16;
        int chunks = (hidden.Length + chunk - 1) / chunk;
        Gemm.ParallelFor(chunks, c => Ops.GeluErf(hidden.AsSpan(c * chunk, Math.Min(chunk, hidden.Length - c * chunk))));
    }

    /// <summary>y[rows, n] = x[rows, k] · w[k, n] + bias[n].</summary>
    private static void Linear(float[] x, float[] w, float[] bias, float[] y, int rows, int k, int n)
    {
        for (int r = 0; r < rows; r++) bias.CopyTo(y, r * n);
        Gemm.Multiply(x, w, y, rows, k, n, accumulate: true);
    }

    /// <summary>
    /// Self-attention of every sequence, writing each head's output into <paramref name="z"/>. Sequences whose hooks
    /// want the scores or the pattern get them as one [head, q_pos, k_pos] tensor; the rest run head by head in
    /// parallel with a small scratch matrix.
    /// </summary>
    private void Attention(SequenceBatch batch, BertHooks.LayerNames names, float[] qkv, float[] z)
    {
        var plain = new List<(int Seq, int Head)>();
        for (int s = 0; s < batch.Count; s++)
        {
            var hooks = batch.Hooks[s];
            if (hooks is not null && (hooks.Wants(names.AttnScores) || hooks.Wants(names.Pattern)))
                AttentionWithHooks(batch, s, hooks, names, qkv, z);
            else
                for (int h = 0; h < _heads; h++) plain.Add((s, h));
        }

        Gemm.ParallelFor(plain.Count, i =>
        {
            var (s, h) = plain[i];
            int len = batch.Lengths[s];
            var scores = ArrayPool<float>.Shared.Rent(len * len); // [q_pos, k_pos]
            try
            {
                var span = scores.AsSpan(0, len * len);
                HeadScores(qkv, batch.Offsets[s], len, h, span);
                Ops.SoftmaxRows(span, len);
                HeadOutput(qkv, batch.Offsets[s], len, h, span, z);
            }
            finally { ArrayPool<float>.Shared.Return(scores); }
        });
    }

    private void AttentionWithHooks(SequenceBatch batch, int s, HookSet hooks, BertHooks.LayerNames names, float[] qkv, float[] z)
    {
        int off = batch.Offsets[s], len = batch.Lengths[s], square = len * len;
        var scores = new Tensor(_heads, len, len); // [head, q_pos, k_pos]
        Gemm.ParallelFor(_heads, h => HeadScores(qkv, off, len, h, scores.Data.AsSpan(h * square, square)));
        scores = hooks.Apply(names.AttnScores, scores); // [head, q_pos, k_pos]: scaled, before softmax
        var pattern = scores.Clone(); // [head, q_pos, k_pos]
        Ops.SoftmaxRows(pattern.Data, len);
        pattern = hooks.Apply(names.Pattern, pattern); // [head, q_pos, k_pos]: softmax over k_pos
        Gemm.ParallelFor(_heads, h => HeadOutput(qkv, off, len, h, pattern.Data.AsSpan(h * square, square), z));
    }

    /// <summary>scores[i, j] = q_i · k_j / sqrt(d_head) for head <paramref name="h"/> of the sequence at rows off..off+len.</summary>
    private void HeadScores(float[] qkv, int off, int len, int h, Span<float> scores)
    {
        int dh = _dHead;
        var pool = ArrayPool<float>.Shared;
        var q = pool.Rent(len * dh); // [q_pos, d_head]
        var k = pool.Rent(len * dh); // [k_pos, d_head]
        try
        {
            Gather(qkv, off, len, h * dh, q);
            Gather(qkv, off, len, _d + h * dh, k);
            // One thread: heads and sequences already run in parallel around this call.
            Gemm.MultiplyTransposedB(q.AsSpan(0, len * dh), k.AsSpan(0, len * dh), scores, len, dh, len, accumulate: false, threads: 1);
            TensorPrimitives.Multiply(scores, _scale, scores);
        }
        finally { pool.Return(q); pool.Return(k); }
    }

    /// <summary>z[pos, h, :] = pattern[pos, :] · v[:, h, :] for head <paramref name="h"/>.</summary>
    private void HeadOutput(float[] qkv, int off, int len, int h, ReadOnlySpan<float> pattern, float[] z)
    {
        int dh = _dHead;
        var pool = ArrayPool<float>.Shared;
        var v = pool.Rent(len * dh);    // [k_pos, d_head]
        var out_ = pool.Rent(len * dh); // [q_pos, d_head]
        try
        {
            Gather(qkv, off, len, 2 * _d + h * dh, v);
            Gemm.Multiply(pattern, v.AsSpan(0, len * dh), out_.AsSpan(0, len * dh), len, len, dh, accumulate: false, threads: 1);
            for (int p = 0; p < len; p++) out_.AsSpan(p * dh, dh).CopyTo(z.AsSpan((off + p) * _d + h * dh, dh));
        }
        finally { pool.Return(v); pool.Return(out_); }
    }

    /// <summary>Copies d_head columns starting at <paramref name="col"/> of rows off..off+len of qkv [tokens, 3·d_model] into [len, d_head].</summary>
    private void Gather(float[] qkv, int off, int len, int col, float[] into)
    {
        int dh = _dHead, stride = 3 * _d;
        for (int p = 0; p < len; p++) qkv.AsSpan((off + p) * stride + col, dh).CopyTo(into.AsSpan(p * dh, dh));
    }
}
