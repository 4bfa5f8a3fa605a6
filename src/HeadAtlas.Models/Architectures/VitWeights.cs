using HeadAtlas.Models.Weights;

namespace HeadAtlas.Models.Architectures;

/// <summary>A ViT's weights from a Hugging Face folder (ViTModel, or "vit."-prefixed task models).</summary>
public sealed class VitWeights
{
    public required int DModel { get; init; }
    public required int Heads { get; init; }
    public required int DMlp { get; init; }
    public required int ImageSize { get; init; }
    public required int PatchSize { get; init; }
    public required int Channels { get; init; }
    public required float LayerNormEps { get; init; }
    public required float[] PatchWeight { get; init; }   // [d_model, channel·patch·patch] (the conv kernel, flattened)
    public required float[] PatchBias { get; init; }     // [d_model]
    public required float[] ClsToken { get; init; }      // [d_model]
    public required float[] Positions { get; init; }     // [1 + patches, d_model]
    public required float[] FinalGamma { get; init; }    // [d_model]
    public required float[] FinalBeta { get; init; }     // [d_model]
    public required VitLayerWeights[] Layers { get; init; }
    /// <summary>The memory-mapped files the matrices read from; the model disposes them.</summary>
    public WeightStore? Files { get; init; }

    public int Grid => ImageSize / PatchSize;

    public static VitWeights Load(HfConfig config, WeightStore store)
    {
        int d = config.Int("hidden_size"), heads = config.Int("num_attention_heads"), layers = config.Int("num_hidden_layers");
        int dMlp = config.Int("intermediate_size"), image = config.Int("image_size"), patch = config.Int("patch_size"), channels = config.Int("num_channels", 3);
        if (d % heads != 0) throw config.Error("num_attention_heads", $"({heads}) must divide hidden_size ({d})");
        if (image % patch != 0) throw config.Error("patch_size", $"({patch}) must divide image_size ({image})");
        string act = config.OptionalString("hidden_act") ?? "gelu";
        if (act != "gelu") throw config.Error("hidden_act", $"is '{act}'; HeadAtlas's ViT uses the exact (erf) gelu");
        int patches = image / patch * (image / patch);
        string p = store.Contains("vit.embeddings.cls_token") ? "vit." : "";
        float[] Vec(string name, int n) => store.ReadF32(p + name, n);
        return new VitWeights
        {
            Files = store,
            DModel = d, Heads = heads, DMlp = dMlp, ImageSize = image, PatchSize = patch, Channels = channels,
            LayerNormEps = (float)config.Double("layer_norm_eps", 1e-12),
            PatchWeight = store.ReadF32(p + "embeddings.patch_embeddings.projection.weight", d, channels, patch, patch),
            PatchBias = Vec("embeddings.patch_embeddings.projection.bias", d),
            ClsToken = store.ReadF32(p + "embeddings.cls_token", 1, 1, d),
            Positions = store.ReadF32(p + "embeddings.position_embeddings", 1, 1 + patches, d),
            FinalGamma = Vec("layernorm.weight", d),
            FinalBeta = Vec("layernorm.bias", d),
            Layers = Enumerable.Range(0, layers).Select(l =>
            {
                string b = $"{p}encoder.layer.{l}.";
                return new VitLayerWeights
                {
                    Ln1Gamma = store.ReadF32(b + "layernorm_before.weight", d), Ln1Beta = store.ReadF32(b + "layernorm_before.bias", d),
                    Q = store.Matrix(b + "attention.attention.query.weight", d, d), QBias = store.ReadF32(b + "attention.attention.query.bias", d),
                    K = store.Matrix(b + "attention.attention.key.weight", d, d), KBias = store.ReadF32(b + "attention.attention.key.bias", d),
                    V = store.Matrix(b + "attention.attention.value.weight", d, d), VBias = store.ReadF32(b + "attention.attention.value.bias", d),
                    O = store.Matrix(b + "attention.output.dense.weight", d, d), OBias = store.ReadF32(b + "attention.output.dense.bias", d),
                    Ln2Gamma = store.ReadF32(b + "layernorm_after.weight", d), Ln2Beta = store.ReadF32(b + "layernorm_after.bias", d),
                    Up = store.Matrix(b + "intermediate.dense.weight", dMlp, d), UpBias = store.ReadF32(b + "intermediate.dense.bias", dMlp),
                    Down = store.Matrix(b + "output.dense.weight", d, dMlp), DownBias = store.ReadF32(b + "output.dense.bias", d),
                };
            }).ToArray(),
        };
    }
}

/// <summary>One pre-norm encoder block; matrices [out, in] as PyTorch stores them.</summary>
public sealed class VitLayerWeights
{
    public required float[] Ln1Gamma { get; init; }  // [d_model] layernorm_before
    public required float[] Ln1Beta { get; init; }   // [d_model]
    public required WeightMatrix Q { get; init; }    // [d_model, d_model]
    public required float[] QBias { get; init; }     // [d_model]
    public required WeightMatrix K { get; init; }    // [d_model, d_model]
    public required float[] KBias { get; init; }     // [d_model]
    public required WeightMatrix V { get; init; }    // [d_model, d_model]
    public required float[] VBias { get; init; }     // [d_model]
    public required WeightMatrix O { get; init; }    // [d_model, d_model]
    public required float[] OBias { get; init; }     // [d_model]
    public required float[] Ln2Gamma { get; init; }  // [d_model] layernorm_after
    public required float[] Ln2Beta { get; init; }   // [d_model]
    public required WeightMatrix Up { get; init; }   // [d_mlp, d_model]
    public required float[] UpBias { get; init; }    // [d_mlp]
    public required WeightMatrix Down { get; init; } // [d_model, d_mlp]
    public required float[] DownBias { get; init; }  // [d_model]
}
