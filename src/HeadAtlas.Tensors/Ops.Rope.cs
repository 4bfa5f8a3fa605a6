namespace HeadAtlas.Tensors;

public static partial class Ops
{
    /// <summary>
    /// Rotary position embedding, in place, on x [pos, heads, dHead]: the first <paramref name="rotaryDim"/> dims of
    /// every head are rotated in pairs, pair i by angle (positionOffset + pos)·θ^(−2i/rotaryDim).
    /// Pairs are (i, i + rotaryDim/2) ("rotate half": LLaMA, GPT-NeoX, TransformerLens' default) or, when
    /// <paramref name="interleaved"/>, (2i, 2i+1) (GPT-J). Dims past rotaryDim are left alone.
    /// </summary>
    public static void ApplyRope(Span<float> x, int positions, int heads, int dHead, int rotaryDim,
                                 double theta = 10000, int positionOffset = 0, bool interleaved = false)
    {
        if (rotaryDim <= 0 || rotaryDim > dHead || rotaryDim % 2 != 0)
            throw new ArgumentException($"rotary dim {rotaryDim} must be even and within the head dim {dHead}");
        if (x.Length < (long)positions * heads * dHead)
            throw new ArgumentException($"RoPE input has {x.Length} values, [{positions}, {heads}, {dHead}] needs {(long)positions * heads * dHead}");
        int half = rotaryDim / 2;
        Span<float> cos = half <= 512 ? stackalloc float[half] : new float[half]; // [half]
        Span<float> sin = half <= 512 ? stackalloc float[half] : new float[half]; // [half]
        for (int p = 0; p < positions; p++)
        {
            // Angles in double: at position 4096 a float angle would already be off by ~2e-4 rad.
            for (int i = 0; i < half; i++)
            {
                double angle = (positionOffset + p) * Math.Pow(theta, -2.0 * i / rotaryDim);
                cos[i] = (float)Math.Cos(angle);
                sin[i] = (float)Math.Sin(angle);
            }
            for (int h = 0; h < heads; h++)
            {
                var v = x.Slice((p * heads + h) * dHead, dHead); // [dHead]
                for (int i = 0; i < half; i++)
                {
                    int i0 = interleaved ? 2 * i : i, i1 = interleaved ? 2 * i + 1 : i + half;
                    float a = v[i0], b = v[i1];
                    v[i0] = a * cos[i] - b * sin[i];
                    v[i1] = b * cos[i] + a * sin[i];
                }
            }
        }
    }
}
