using System.Buffers;
using System.Numerics.Tensors;
using HeadAtlas.Tensors;
using Tensor = HeadAtlas.Tensors.Tensor;

namespace HeadAtlas.Models.Architectures;

/// <summary>
/// Self-attention of every sequence of a batch, with grouped-query heads: query head h reads key/value head
/// h / (heads / kvHeads). Causal: query i sees keys j ≤ i (and, with a sliding window w, only j &gt; i − w); masked
/// scores are −∞, as in TransformerLens. Not causal (ViT): every query sees every key. Sequences whose hooks want the scores or the pattern get them as [head, q_pos, k_pos].
/// </summary>
internal sealed class SelfAttention(int heads, int kvHeads, int dHead, bool causal = true, int? slidingWindow = null)
{
    private readonly float _scale = 1f / MathF.Sqrt(dHead);
    private int Group => heads / kvHeads;

    /// <param name="q">[tokens, head·d_head]</param>
    /// <param name="k">[tokens, kv_head·d_head]</param>
    /// <param name="v">[tokens, kv_head·d_head]</param>
    /// <param name="z">[tokens, head·d_head], written</param>
    public void Run(SequenceBatch batch, DecoderHooks.LayerNames names, float[] q, float[] k, float[] v, float[] z)
    {
        var plain = new List<(int Seq, int Head)>();
        for (int s = 0; s < batch.Count; s++)
        {
            var hooks = batch.Hooks[s];
            if (hooks is not null && (hooks.Wants(names.AttnScores) || hooks.Wants(names.Pattern)))
                WithHooks(batch, s, hooks, names, q, k, v, z);
            else
                for (int h = 0; h < heads; h++) plain.Add((s, h));
        }
        Parallel.For(0, plain.Count, i =>
        {
            var (s, h) = plain[i];
            int len = batch.Lengths[s];
            var scores = ArrayPool<float>.Shared.Rent(len * len); // [q_pos, k_pos]
            try
            {
                var span = scores.AsSpan(0, len * len);
                Scores(q, k, batch.Offsets[s], len, h, span);
                Softmax(span, len);
                Output(v, batch.Offsets[s], len, h, span, z);
            }
            finally { ArrayPool<float>.Shared.Return(scores); }
        });
    }

    private void WithHooks(SequenceBatch batch, int s, HookSet hooks, DecoderHooks.LayerNames names, float[] q, float[] k, float[] v, float[] z)
    {
        int off = batch.Offsets[s], len = batch.Lengths[s], square = len * len;
        var scores = new Tensor(heads, len, len); // [head, q_pos, k_pos]
        Parallel.For(0, heads, h => Scores(q, k, off, len, h, scores.Data.AsSpan(h * square, square)));
        scores = hooks.Apply(names.AttnScores, scores); // [head, q_pos, k_pos]: scaled and masked, before softmax
        var pattern = scores.Clone();                   // [head, q_pos, k_pos]
        for (int h = 0; h < heads; h++) Softmax(pattern.Data.AsSpan(h * square, square), len);
        pattern = hooks.Apply(names.Pattern, pattern);  // [head, q_pos, k_pos]: softmax over k_pos
        Parallel.For(0, heads, h => Output(v, off, len, h, pattern.Data.AsSpan(h * square, square), z));
    }

    /// <summary>scores[i, j] = q_i · k_j / sqrt(d_head) where j may be seen from i, else −∞.</summary>
    private void Scores(float[] q, float[] k, int off, int len, int h, Span<float> scores)
    {
        int qStride = heads * dHead, kStride = kvHeads * dHead, kvh = h / Group;
        for (int i = 0; i < len; i++)
        {
            var qi = q.AsSpan((off + i) * qStride + h * dHead, dHead); // [d_head]
            int first = FirstKey(i), last = causal ? i : len - 1;
            var row = scores.Slice(i * len, len);
            row[..first].Fill(float.NegativeInfinity);
            row[(last + 1)..].Fill(float.NegativeInfinity);
            for (int j = first; j <= last; j++)
                row[j] = TensorPrimitives.Dot(qi, k.AsSpan((off + j) * kStride + kvh * dHead, dHead)) * _scale;
        }
    }

    /// <summary>
    /// Softmax of each row of a [q_pos, k_pos] square, with the masked keys set to exactly 0 afterwards: Ops.SoftmaxRows'
    /// fast exp turns −∞ into ~1e-38, not 0, and a query must not see a later key at all.
    /// </summary>
    private void Softmax(Span<float> square, int len)
    {
        Ops.SoftmaxRows(square, len);
        for (int i = 0; i < len; i++)
        {
            var row = square.Slice(i * len, len);
            int first = FirstKey(i), last = causal ? i : len - 1;
            row[..first].Clear();
            row[(last + 1)..].Clear();
        }
    }

    private int FirstKey(int i) => causal && slidingWindow is int w ? Math.Max(0, i - w + 1) : 0;

    /// <summary>z[i, h, :] = Σ_j pattern[i, j] · v[j, kv(h), :].</summary>
    private void Output(float[] v, int off, int len, int h, ReadOnlySpan<float> pattern, float[] z)
    {
        int zStride = heads * dHead, vStride = kvHeads * dHead, kvh = h / Group;
        for (int i = 0; i < len; i++)
        {
            var zi = z.AsSpan((off + i) * zStride + h * dHead, dHead); // [d_head]
            zi.Clear();
            // All of row i is read, not only j ≤ i: a hook may have overridden the pattern.
            for (int j = 0; j < len; j++)
            {
                float p = pattern[i * len + j];
                if (p != 0) TensorPrimitives.MultiplyAdd(v.AsSpan((off + j) * vStride + kvh * dHead, dHead), p, zi, zi);
            }
        }
    }
}
