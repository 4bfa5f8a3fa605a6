namespace HeadAtlas.Models.Architectures;

/// <summary>Hook names of <see cref="Bert"/> (TransformerLens's HookedEncoder names, batch dimension dropped).</summary>
public static class BertHooks
{
    public const string Embed = "hook_embed";                    // [pos, d_model] word embedding
    public const string PosEmbed = "hook_pos_embed";             // [pos, d_model] position embedding
    public const string TokenTypeEmbed = "hook_token_type_embed"; // [pos, d_model] token type (segment) embedding

    /// <summary>The hook names of layer <c>l</c>, built once per layer.</summary>
    public sealed record LayerNames(int L)
    {
        public string ResidPre { get; } = $"blocks.{L}.hook_resid_pre";                       // [pos, d_model]
        public string Q { get; } = $"blocks.{L}.attn.hook_q";                                 // [pos, head, d_head]
        public string K { get; } = $"blocks.{L}.attn.hook_k";                                 // [pos, head, d_head]
        public string V { get; } = $"blocks.{L}.attn.hook_v";                                 // [pos, head, d_head]
        public string AttnScores { get; } = $"blocks.{L}.attn.hook_attn_scores";              // [head, q_pos, k_pos]
        public string Pattern { get; } = $"blocks.{L}.attn.hook_pattern";                     // [head, q_pos, k_pos]
        public string Z { get; } = $"blocks.{L}.attn.hook_z";                                 // [pos, head, d_head]
        public string AttnOut { get; } = $"blocks.{L}.hook_attn_out";                         // [pos, d_model]
        public string ResidMid { get; } = $"blocks.{L}.hook_resid_mid";                      // [pos, d_model]
        public string Ln1Normalized { get; } = $"blocks.{L}.ln1.hook_normalized";             // [pos, d_model]
        public string MlpPre { get; } = $"blocks.{L}.mlp.hook_pre";                           // [pos, d_mlp]
        public string MlpPost { get; } = $"blocks.{L}.mlp.hook_post";                         // [pos, d_mlp]
        public string MlpOut { get; } = $"blocks.{L}.hook_mlp_out";                           // [pos, d_model]
        public string ResidPost { get; } = $"blocks.{L}.hook_resid_post";                     // [pos, d_model]
        public string NormalizedResidPost { get; } = $"blocks.{L}.hook_normalized_resid_post"; // [pos, d_model]

        public IEnumerable<string> All() =>
            [ResidPre, Q, K, V, AttnScores, Pattern, Z, AttnOut, ResidMid, Ln1Normalized, MlpPre, MlpPost, MlpOut, ResidPost, NormalizedResidPost];
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, LayerNames> Cache = new();

    public static LayerNames Layer(int l) => Cache.GetOrAdd(l, static l => new LayerNames(l));

    public static IReadOnlySet<string> All(int layers)
    {
        var names = new HashSet<string>(StringComparer.Ordinal) { Embed, PosEmbed, TokenTypeEmbed };
        for (int l = 0; l < layers; l++) names.UnionWith(Layer(l).All());
        return names;
    }
}
