namespace HeadAtlas.Models.Architectures;

/// <summary>
/// Hook names of the decoder architectures (<see cref="Gpt2"/>, <see cref="Llama"/>), as TransformerLens's
/// HookedTransformer names them (batch dimension dropped).
/// </summary>
public static class DecoderHooks
{
    public const string Embed = "hook_embed";                       // [pos, d_model] token embedding
    public const string PosEmbed = "hook_pos_embed";                // [pos, d_model] learned positions (GPT-2)
    public const string FinalNormalized = "ln_final.hook_normalized"; // [pos, d_model] after the final norm

    public sealed record LayerNames(int L)
    {
        public string ResidPre { get; } = $"blocks.{L}.hook_resid_pre";          // [pos, d_model]
        public string Ln1 { get; } = $"blocks.{L}.ln1.hook_normalized";           // [pos, d_model]
        public string Q { get; } = $"blocks.{L}.attn.hook_q";                    // [pos, head, d_head]
        public string K { get; } = $"blocks.{L}.attn.hook_k";                    // [pos, kv_head, d_head]
        public string V { get; } = $"blocks.{L}.attn.hook_v";                    // [pos, kv_head, d_head]
        public string RotQ { get; } = $"blocks.{L}.attn.hook_rot_q";             // [pos, head, d_head] after RoPE
        public string RotK { get; } = $"blocks.{L}.attn.hook_rot_k";             // [pos, kv_head, d_head] after RoPE
        public string AttnScores { get; } = $"blocks.{L}.attn.hook_attn_scores"; // [head, q_pos, k_pos], −∞ where masked
        public string Pattern { get; } = $"blocks.{L}.attn.hook_pattern";        // [head, q_pos, k_pos]
        public string Z { get; } = $"blocks.{L}.attn.hook_z";                    // [pos, head, d_head]
        public string AttnOut { get; } = $"blocks.{L}.hook_attn_out";            // [pos, d_model]
        public string ResidMid { get; } = $"blocks.{L}.hook_resid_mid";          // [pos, d_model]
        public string Ln2 { get; } = $"blocks.{L}.ln2.hook_normalized";           // [pos, d_model]
        public string MlpPre { get; } = $"blocks.{L}.mlp.hook_pre";              // [pos, d_mlp] (LLaMA: gate projection)
        public string MlpPreLinear { get; } = $"blocks.{L}.mlp.hook_pre_linear"; // [pos, d_mlp] (LLaMA: up projection)
        public string MlpPost { get; } = $"blocks.{L}.mlp.hook_post";            // [pos, d_mlp]
        public string MlpOut { get; } = $"blocks.{L}.hook_mlp_out";              // [pos, d_model]
        public string ResidPost { get; } = $"blocks.{L}.hook_resid_post";        // [pos, d_model]

        public IEnumerable<string> Common() =>
            [ResidPre, Ln1, Q, K, V, AttnScores, Pattern, Z, AttnOut, ResidMid, Ln2, MlpPre, MlpPost, MlpOut, ResidPost];
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, LayerNames> Cache = new();

    public static LayerNames Layer(int l) => Cache.GetOrAdd(l, static l => new LayerNames(l));

    public static IReadOnlySet<string> Gpt2(int layers)
    {
        var names = new HashSet<string>(StringComparer.Ordinal) { Embed, PosEmbed, FinalNormalized };
        for (int l = 0; l < layers; l++) names.UnionWith(Layer(l).Common());
        return names;
    }

    public static IReadOnlySet<string> Llama(int layers)
    {
        var names = new HashSet<string>(StringComparer.Ordinal) { Embed, FinalNormalized };
        for (int l = 0; l < layers; l++)
        {
            var n = Layer(l);
            names.UnionWith(n.Common());
            names.UnionWith([n.RotQ, n.RotK, n.MlpPreLinear]);
        }
        return names;
    }
}
