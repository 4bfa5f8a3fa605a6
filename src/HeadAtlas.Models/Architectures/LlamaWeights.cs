using HeadAtlas.Models.Weights;

namespace HeadAtlas.Models.Architectures;

/// <summary>Weights of a LLaMA-family model (model_type llama, mistral, qwen2) from a Hugging Face folder.</summary>
public sealed class LlamaWeights
{
    public static readonly IReadOnlyList<string> ModelTypes = ["llama", "mistral", "qwen2"];

    public required int DModel { get; init; }
    public required int Heads { get; init; }
    public required int KvHeads { get; init; }
    public required int DHead { get; init; }
    public required int DMlp { get; init; }
    public required int VocabSize { get; init; }
    public required int MaxPositions { get; init; }
    public required float RmsEps { get; init; }
    public required int? SlidingWindow { get; init; }
    public required RotaryEmbedding Rope { get; init; }
    public required WeightMatrix TokenEmbedding { get; init; } // [vocab, d_model]
    public required float[] FinalNorm { get; init; }           // [d_model]
    public required LlamaLayerWeights[] Layers { get; init; }
    /// <summary>The memory-mapped files the matrices read from; the model disposes them.</summary>
    public WeightStore? Files { get; init; }

    public static LlamaWeights Load(HfConfig config, WeightStore store)
    {
        int d = config.Int("hidden_size"), heads = config.Int("num_attention_heads");
        int kvHeads = config.Int("num_key_value_heads", heads);
        int layers = config.Int("num_hidden_layers"), dMlp = config.Int("intermediate_size");
        int vocab = config.Int("vocab_size"), positions = config.Int("max_position_embeddings");
        if (heads % kvHeads != 0) throw config.Error("num_key_value_heads", $"({kvHeads}) must divide num_attention_heads ({heads})");
        int dHead;
        if (config.Has("head_dim")) dHead = config.Int("head_dim");
        else if (d % heads != 0) throw config.Error("num_attention_heads", $"({heads}) must divide hidden_size ({d}) when head_dim is not given");
        else dHead = d / heads;
        string act = config.OptionalString("hidden_act") ?? "silu";
        if (act != "silu") throw config.Error("hidden_act", $"is '{act}'; the LLaMA family uses silu");
        if (config.Bool("mlp_bias", false)) throw config.Error("mlp_bias", "is true; MLP biases are not supported");
        int? window = null;
        // Mistral may limit attention to a window; Qwen2 has one only when use_sliding_window is true.
        if (config.ModelType == "mistral" || (config.ModelType == "qwen2" && config.Bool("use_sliding_window", false)))
            window = config.Has("sliding_window") ? config.Int("sliding_window") : null;

        const string p = "model.";
        float[]? Bias(string name, int size) => store.Contains(name) ? store.ReadF32(name, size) : null;
        return new LlamaWeights
        {
            Files = store,
            DModel = d, Heads = heads, KvHeads = kvHeads, DHead = dHead, DMlp = dMlp, VocabSize = vocab, MaxPositions = positions,
            RmsEps = (float)config.Double("rms_norm_eps", 1e-6), SlidingWindow = window,
            Rope = RotaryEmbedding.FromConfig(config, dHead),
            // The LM head (tied to this matrix or not) is never needed: Forward returns hidden states.
            TokenEmbedding = store.Matrix(p + "embed_tokens.weight", vocab, d),
            FinalNorm = store.ReadF32(p + "norm.weight", d),
            Layers = Enumerable.Range(0, layers).Select(l =>
            {
                string b = $"{p}layers.{l}.";
                return new LlamaLayerWeights
                {
                    InputNorm = store.ReadF32(b + "input_layernorm.weight", d),
                    Q = store.Matrix(b + "self_attn.q_proj.weight", heads * dHead, d),
                    K = store.Matrix(b + "self_attn.k_proj.weight", kvHeads * dHead, d),
                    V = store.Matrix(b + "self_attn.v_proj.weight", kvHeads * dHead, d),
                    QBias = Bias(b + "self_attn.q_proj.bias", heads * dHead),
                    KBias = Bias(b + "self_attn.k_proj.bias", kvHeads * dHead),
                    VBias = Bias(b + "self_attn.v_proj.bias", kvHeads * dHead),
                    O = store.Matrix(b + "self_attn.o_proj.weight", d, heads * dHead),
                    PostAttentionNorm = store.ReadF32(b + "post_attention_layernorm.weight", d),
                    Gate = store.Matrix(b + "mlp.gate_proj.weight", dMlp, d),
                    Up = store.Matrix(b + "mlp.up_proj.weight", dMlp, d),
                    Down = store.Matrix(b + "mlp.down_proj.weight", d, dMlp),
                };
            }).ToArray(),
        };
    }
}

/// <summary>One block; every matrix as PyTorch stores it, [out, in].</summary>
public sealed class LlamaLayerWeights
{
    public required float[] InputNorm { get; init; }         // [d_model]
    public required WeightMatrix Q { get; init; }            // [head·d_head, d_model]
    public required WeightMatrix K { get; init; }            // [kv_head·d_head, d_model]
    public required WeightMatrix V { get; init; }            // [kv_head·d_head, d_model]
    public required float[]? QBias { get; init; }            // [head·d_head] (Qwen2)
    public required float[]? KBias { get; init; }            // [kv_head·d_head] (Qwen2)
    public required float[]? VBias { get; init; }            // [kv_head·d_head] (Qwen2)
    public required WeightMatrix O { get; init; }            // [d_model, head·d_head]
    public required float[] PostAttentionNorm { get; init; } // [d_model]
    public required WeightMatrix Gate { get; init; }         // [d_mlp, d_model]
    public required WeightMatrix Up { get; init; }           // [d_mlp, d_model]
    public required WeightMatrix Down { get; init; }         // [d_model, d_mlp]
}
