using HeadAtlas.Models.Weights;

namespace HeadAtlas.Models.Architectures;

/// <summary>GPT-2's weights from a Hugging Face folder; matrices stay in their stored type, vectors are fp32.</summary>
public sealed class Gpt2Weights
{
    public required int DModel { get; init; }
    public required int Heads { get; init; }
    public required int DMlp { get; init; }
    public required int VocabSize { get; init; }
    public required int MaxPositions { get; init; }
    public required float LayerNormEps { get; init; }
    public required bool TanhGelu { get; init; }
    public required WeightMatrix TokenEmbedding { get; init; }  // [vocab, d_model]
    public required float[] PositionEmbedding { get; init; }    // [n_positions, d_model]
    public required float[] LnFGamma { get; init; }             // [d_model]
    public required float[] LnFBeta { get; init; }              // [d_model]
    public required Gpt2LayerWeights[] Layers { get; init; }
    /// <summary>The memory-mapped files the matrices read from; the model disposes them.</summary>
    public WeightStore? Files { get; init; }

    public static Gpt2Weights Load(HfConfig config, WeightStore store)
    {
        int d = config.IntAny("n_embd", "hidden_size"), heads = config.IntAny("n_head", "num_attention_heads");
        int layers = config.IntAny("n_layer", "num_hidden_layers"), positions = config.IntAny("n_positions", "max_position_embeddings");
        int vocab = config.Int("vocab_size");
        int dMlp = config.Int("n_inner", 4 * d);
        if (d % heads != 0) throw config.Error("n_head", $"({heads}) must divide n_embd ({d})");
        string act = config.OptionalString("activation_function") ?? "gelu_new";
        bool tanh = act switch
        {
            "gelu_new" or "gelu_pytorch_tanh" or "gelu_fast" => true,
            "gelu" => false,
            _ => throw config.Error("activation_function", $"is '{act}'; supported: gelu_new, gelu_pytorch_tanh, gelu"),
        };
        // GPT2Model saves "h.0...."; GPT2LMHeadModel saves "transformer.h.0....".
        string p = store.Contains("transformer.wte.weight") ? "transformer." : "";
        return new Gpt2Weights
        {
            Files = store,
            DModel = d, Heads = heads, DMlp = dMlp, VocabSize = vocab, MaxPositions = positions, TanhGelu = tanh,
            LayerNormEps = (float)config.Double("layer_norm_epsilon", 1e-5),
            TokenEmbedding = store.Matrix(p + "wte.weight", vocab, d),
            PositionEmbedding = store.ReadF32(p + "wpe.weight", positions, d),
            LnFGamma = store.ReadF32(p + "ln_f.weight", d),
            LnFBeta = store.ReadF32(p + "ln_f.bias", d),
            Layers = Enumerable.Range(0, layers).Select(l =>
            {
                string b = $"{p}h.{l}.";
                return new Gpt2LayerWeights
                {
                    Ln1Gamma = store.ReadF32(b + "ln_1.weight", d), Ln1Beta = store.ReadF32(b + "ln_1.bias", d),
                    CAttn = store.Matrix(b + "attn.c_attn.weight", d, 3 * d), CAttnBias = store.ReadF32(b + "attn.c_attn.bias", 3 * d),
                    AttnProj = store.Matrix(b + "attn.c_proj.weight", d, d), AttnProjBias = store.ReadF32(b + "attn.c_proj.bias", d),
                    Ln2Gamma = store.ReadF32(b + "ln_2.weight", d), Ln2Beta = store.ReadF32(b + "ln_2.bias", d),
                    Fc = store.Matrix(b + "mlp.c_fc.weight", d, dMlp), FcBias = store.ReadF32(b + "mlp.c_fc.bias", dMlp),
                    MlpProj = store.Matrix(b + "mlp.c_proj.weight", dMlp, d), MlpProjBias = store.ReadF32(b + "mlp.c_proj.bias", d),
                };
            }).ToArray(),
        };
    }
}

public sealed class Gpt2LayerWeights
{
    public required float[] Ln1Gamma { get; init; }        // [d_model]
    public required float[] Ln1Beta { get; init; }         // [d_model]
    public required WeightMatrix CAttn { get; init; }      // [d_model, 3·d_model]: columns [q | k | v]
    public required float[] CAttnBias { get; init; }       // [3·d_model]
    public required WeightMatrix AttnProj { get; init; }   // [d_model, d_model]
    public required float[] AttnProjBias { get; init; }    // [d_model]
    public required float[] Ln2Gamma { get; init; }        // [d_model]
    public required float[] Ln2Beta { get; init; }         // [d_model]
    public required WeightMatrix Fc { get; init; }         // [d_model, d_mlp]
    public required float[] FcBias { get; init; }          // [d_mlp]
    public required WeightMatrix MlpProj { get; init; }    // [d_mlp, d_model]
    public required float[] MlpProjBias { get; init; }     // [d_model]
}
