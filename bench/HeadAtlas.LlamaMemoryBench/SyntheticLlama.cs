using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace HeadAtlas.LlamaMemoryBench;

/// <summary>
/// Writes a LLaMA-family folder with the layout of a ~1.2B-parameter model (LLaMA 3.2 1B's shapes) and random BF16
/// weights: config.json, model.safetensors (streamed, never held in memory), and a byte-level BPE tokenizer of 256 tokens.
/// </summary>
public static class SyntheticLlama
{
    public const int DModel = 2048, Layers = 16, Heads = 32, KvHeads = 8, DHead = 64, DMlp = 8192, Vocab = 128256, Positions = 2048;

    public static long Parameters => (long)Vocab * DModel + DModel
        + Layers * (2L * DModel + 2L * Heads * DHead * DModel + 2L * KvHeads * DHead * DModel + 3L * DMlp * DModel);

    public static void Write(string folder)
    {
        Directory.CreateDirectory(folder);
        var config = new Dictionary<string, object?>
        {
            ["model_type"] = "llama", ["hidden_size"] = DModel, ["num_hidden_layers"] = Layers, ["num_attention_heads"] = Heads,
            ["num_key_value_heads"] = KvHeads, ["intermediate_size"] = DMlp, ["vocab_size"] = Vocab, ["max_position_embeddings"] = Positions,
            ["rms_norm_eps"] = 1e-5, ["rope_theta"] = 500000.0, ["hidden_act"] = "silu", ["tie_word_embeddings"] = true, ["torch_dtype"] = "bfloat16",
            ["rope_scaling"] = new Dictionary<string, object> { ["rope_type"] = "llama3", ["factor"] = 32.0, ["low_freq_factor"] = 1.0, ["high_freq_factor"] = 4.0, ["original_max_position_embeddings"] = 8192 },
        };
        File.WriteAllText(Path.Combine(folder, "config.json"), JsonSerializer.Serialize(config));
        WriteTokenizer(folder);

        var tensors = new List<(string Name, long[] Shape, bool Ones)> { ("model.embed_tokens.weight", [Vocab, DModel], false), ("model.norm.weight", [DModel], true) };
        for (int l = 0; l < Layers; l++)
        {
            string b = $"model.layers.{l}.";
            tensors.Add((b + "input_layernorm.weight", [DModel], true));
            tensors.Add((b + "post_attention_layernorm.weight", [DModel], true));
            tensors.Add((b + "self_attn.q_proj.weight", [Heads * DHead, DModel], false));
            tensors.Add((b + "self_attn.k_proj.weight", [KvHeads * DHead, DModel], false));
            tensors.Add((b + "self_attn.v_proj.weight", [KvHeads * DHead, DModel], false));
            tensors.Add((b + "self_attn.o_proj.weight", [DModel, Heads * DHead], false));
            tensors.Add((b + "mlp.gate_proj.weight", [DMlp, DModel], false));
            tensors.Add((b + "mlp.up_proj.weight", [DMlp, DModel], false));
            tensors.Add((b + "mlp.down_proj.weight", [DModel, DMlp], false));
        }
        var header = new Dictionary<string, object>();
        long offset = 0;
        foreach (var (name, shape, _) in tensors)
        {
            long bytes = shape.Aggregate(2L, (a, d) => a * d);
            header[name] = new Dictionary<string, object> { ["dtype"] = "BF16", ["shape"] = shape, ["data_offsets"] = new[] { offset, offset + bytes } };
            offset += bytes;
        }
        var headerBytes = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        string temp = Path.Combine(folder, "model.safetensors.tmp");
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)headerBytes.Length);
            file.Write(length);
            file.Write(headerBytes);
            var chunk = new byte[1 << 20];
            ulong state = 0x9E3779B97F4A7C15;
            foreach (var (_, shape, ones) in tensors)
            {
                long remaining = shape.Aggregate(2L, (a, d) => a * d);
                while (remaining > 0)
                {
                    int n = (int)Math.Min(chunk.Length, remaining);
                    for (int i = 0; i < n; i += 2)
                    {
                        float v;
                        if (ones) v = 1f;
                        else
                        {
                            state ^= state << 13; state ^= state >> 7; state ^= state << 17; // xorshift64
                            v = ((state >> 40) * (1f / (1 << 24)) - 0.5f) * 0.07f; // uniform, std ≈ 0.02
                        }
                        BinaryPrimitives.WriteUInt16LittleEndian(chunk.AsSpan(i), (ushort)(BitConverter.SingleToUInt32Bits(v) >> 16));
                    }
                    file.Write(chunk, 0, n);
                    remaining -= n;
                }
            }
        }
        File.Move(temp, Path.Combine(folder, "model.safetensors"), overwrite: true);
    }

    /// <summary>A byte-level BPE of the 256 byte symbols and no merges: every byte is one token.</summary>
    private static void WriteTokenizer(string folder)
    {
        var vocab = new Dictionary<string, int>();
        int extra = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            vocab[((char)(printable ? b : 256 + extra++)).ToString()] = b;
        }
        File.WriteAllText(Path.Combine(folder, "vocab.json"), JsonSerializer.Serialize(vocab));
        File.WriteAllText(Path.Combine(folder, "merges.txt"), "#version: 0.2\n");
    }
}
