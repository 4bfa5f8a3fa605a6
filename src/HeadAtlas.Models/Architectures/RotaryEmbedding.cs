using System.Text.Json;

namespace HeadAtlas.Models.Architectures;

/// <summary>
/// Rotary position embedding of the LLaMA family ("rotate half": dims i and i + d/2 form a pair), with the inverse
/// frequencies of config.json: θ^(−2i/d) from <c>rope_theta</c>, changed by <c>rope_scaling</c> when given
/// ("linear": positions divided by the factor; "llama3": low frequencies divided, high ones kept, a smooth blend
/// between). Ops.ApplyRope does the unscaled case; scaling needs per-frequency factors, hence this table.
/// </summary>
public sealed class RotaryEmbedding
{
    private readonly double[] _invFreq; // [d_head / 2]

    public int DHead { get; }

    public RotaryEmbedding(int dHead, double theta, double[]? invFreq = null)
    {
        if (dHead % 2 != 0) throw new ModelException($"head dimension {dHead} must be even for rotary embeddings");
        DHead = dHead;
        _invFreq = invFreq ?? Enumerable.Range(0, dHead / 2).Select(i => Math.Pow(theta, -2.0 * i / dHead)).ToArray();
    }

    public IReadOnlyList<double> InverseFrequencies => _invFreq;

    /// <summary>From config.json: rope_theta (default 10000) and rope_scaling (null, "default", "linear" or "llama3").</summary>
    public static RotaryEmbedding FromConfig(HfConfig config, int dHead)
    {
        double theta = config.Double("rope_theta", 10000);
        if (theta <= 1) throw config.Error("rope_theta", $"must be greater than 1, found {theta}");
        var rope = new RotaryEmbedding(dHead, theta);
        if (config.Object("rope_scaling") is not JsonElement scaling) return rope;

        string type = (scaling.TryGetProperty("rope_type", out var t) || scaling.TryGetProperty("type", out t)) && t.ValueKind == JsonValueKind.String
            ? t.GetString()! : throw config.Error("rope_scaling", "has no 'rope_type' (or 'type') string");
        double Number(string field)
        {
            if (scaling.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out double d) && d > 0 && double.IsFinite(d)) return d;
            throw config.Error($"rope_scaling.{field}", "is missing or not a positive number");
        }
        var inv = rope._invFreq.ToArray();
        switch (type)
        {
            case "default":
                break;
            case "linear":
                double factor = Number("factor");
                for (int i = 0; i < inv.Length; i++) inv[i] /= factor;
                break;
            case "llama3":
            {
                double f = Number("factor"), low = Number("low_freq_factor"), high = Number("high_freq_factor"), original = Number("original_max_position_embeddings");
                if (high <= low) throw config.Error("rope_scaling.high_freq_factor", $"({high}) must exceed low_freq_factor ({low})");
                double lowWavelen = original / low, highWavelen = original / high;
                for (int i = 0; i < inv.Length; i++)
                {
                    double wavelen = 2 * Math.PI / inv[i];
                    if (wavelen > lowWavelen) inv[i] /= f;
                    else if (wavelen >= highWavelen)
                    {
                        double smooth = (original / wavelen - low) / (high - low);
                        inv[i] = (1 - smooth) * inv[i] / f + smooth * inv[i];
                    }
                }
                break;
            }
            default:
                throw config.Error("rope_scaling", $"has rope_type '{type}', which HeadAtlas does not support (supported: default, linear, llama3)");
        }
        return new RotaryEmbedding(dHead, theta, inv);
    }

    /// <summary>cos and sin of every angle for positions 0..length−1: each [length, d_head / 2].</summary>
    public (float[] Cos, float[] Sin) Table(int length)
    {
        int half = DHead / 2;
        var cos = new float[length * half];
        var sin = new float[length * half];
        for (int p = 0; p < length; p++)
            for (int i = 0; i < half; i++)
            {
                double angle = p * _invFreq[i]; // in double: float angles drift by ~1e-4 rad at position 4096
                cos[p * half + i] = (float)Math.Cos(angle);
                sin[p * half + i] = (float)Math.Sin(angle);
            }
        return (cos, sin);
    }

    /// <summary>Rotates rows [offset, offset + length) of x [tokens, heads·d_head], row p of the sequence by position p.</summary>
    public void Apply(float[] x, int offset, int length, int heads, float[] cos, float[] sin)
    {
        int half = DHead / 2, stride = heads * DHead;
        for (int p = 0; p < length; p++)
        {
            var c = cos.AsSpan(p * half, half);
            var s = sin.AsSpan(p * half, half);
            for (int h = 0; h < heads; h++)
            {
                var v = x.AsSpan((offset + p) * stride + h * DHead, DHead); // [d_head]
                for (int i = 0; i < half; i++)
                {
                    float a = v[i], b = v[i + half];
                    v[i] = a * c[i] - b * s[i];
                    v[i + half] = b * c[i] + a * s[i];
                }
            }
        }
    }
}
