using HeadAtlas.Models.Weights;

namespace HeadAtlas.Models.Architectures;

/// <summary>
/// BERT weights from a Hugging Face folder (BertModel, or a task model whose tensors start with "bert."), laid out
/// for <see cref="Bert"/>: PyTorch's [out, in] Linear weights transposed to [in, out], q/k/v side by side.
/// BERT models are small, so these are fp32 copies rather than mapped matrices.
/// </summary>
public static class BertFolderLoader
{
    public static BertWeights Load(HfConfig config, WeightStore store)
    {
        int d = config.Int("hidden_size"), heads = config.Int("num_attention_heads"), layers = config.Int("num_hidden_layers");
        int dMlp = config.Int("intermediate_size"), vocab = config.Int("vocab_size"), positions = config.Int("max_position_embeddings");
        int types = config.Int("type_vocab_size", 2);
        if (d % heads != 0) throw config.Error("num_attention_heads", $"({heads}) must divide hidden_size ({d})");
        string act = config.OptionalString("hidden_act") ?? "gelu";
        if (act != "gelu") throw config.Error("hidden_act", $"is '{act}'; HeadAtlas's BERT uses the exact (erf) gelu");
        string pe = config.OptionalString("position_embedding_type") ?? "absolute";
        if (pe != "absolute") throw config.Error("position_embedding_type", $"is '{pe}'; only absolute positions are supported");

        string p = store.Contains("bert.embeddings.word_embeddings.weight") ? "bert." : "";
        float[] Vec(string name, int n) => store.ReadF32(p + name, n);
        // Older checkpoints name LayerNorm parameters gamma/beta.
        float[] Norm(string prefix, bool gamma) =>
            store.Contains(p + prefix + (gamma ? ".weight" : ".bias")) ? Vec(prefix + (gamma ? ".weight" : ".bias"), d) : Vec(prefix + (gamma ? ".gamma" : ".beta"), d);

        return new BertWeights
        {
            DModel = d, Heads = heads, DHead = d / heads, DMlp = dMlp,
            LayerNormEps = (float)config.Double("layer_norm_eps", 1e-12),
            WordEmbeddings = store.ReadF32(p + "embeddings.word_embeddings.weight", vocab, d),
            PositionEmbeddings = store.ReadF32(p + "embeddings.position_embeddings.weight", positions, d),
            TokenTypeEmbeddings = store.ReadF32(p + "embeddings.token_type_embeddings.weight", types, d),
            EmbedLnGamma = Norm("embeddings.LayerNorm", true),
            EmbedLnBeta = Norm("embeddings.LayerNorm", false),
            Layers = Enumerable.Range(0, layers).Select(l =>
            {
                string b = $"encoder.layer.{l}.";
                var wq = Transposed(store, p + b + "attention.self.query.weight", d, d);
                var wk = Transposed(store, p + b + "attention.self.key.weight", d, d);
                var wv = Transposed(store, p + b + "attention.self.value.weight", d, d);
                var wqkv = new float[d * 3 * d]; // [d_model, 3·d_model]
                for (int r = 0; r < d; r++)
                {
                    wq.AsSpan(r * d, d).CopyTo(wqkv.AsSpan(r * 3 * d, d));
                    wk.AsSpan(r * d, d).CopyTo(wqkv.AsSpan(r * 3 * d + d, d));
                    wv.AsSpan(r * d, d).CopyTo(wqkv.AsSpan(r * 3 * d + 2 * d, d));
                }
                return new BertLayerWeights
                {
                    Wqkv = wqkv,
                    Bqkv = [.. Vec(b + "attention.self.query.bias", d), .. Vec(b + "attention.self.key.bias", d), .. Vec(b + "attention.self.value.bias", d)],
                    Wo = Transposed(store, p + b + "attention.output.dense.weight", d, d),
                    Bo = Vec(b + "attention.output.dense.bias", d),
                    Ln1Gamma = Norm(b + "attention.output.LayerNorm", true),
                    Ln1Beta = Norm(b + "attention.output.LayerNorm", false),
                    W1 = Transposed(store, p + b + "intermediate.dense.weight", dMlp, d),
                    B1 = Vec(b + "intermediate.dense.bias", dMlp),
                    W2 = Transposed(store, p + b + "output.dense.weight", d, dMlp),
                    B2 = Vec(b + "output.dense.bias", d),
                    Ln2Gamma = Norm(b + "output.LayerNorm", true),
                    Ln2Beta = Norm(b + "output.LayerNorm", false),
                };
            }).ToArray(),
        };
    }

    /// <summary>A Linear weight stored [out, in], returned as [in, out].</summary>
    private static float[] Transposed(WeightStore store, string name, int outDim, int inDim)
    {
        var w = store.ReadF32(name, outDim, inDim); // [out, in]
        var t = new float[w.Length];                 // [in, out]
        for (int o = 0; o < outDim; o++)
            for (int i = 0; i < inDim; i++) t[i * outDim + o] = w[o * inDim + i];
        return t;
    }
}
