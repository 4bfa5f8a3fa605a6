using System.Numerics.Tensors;

namespace HeadAtlas.Tensors;

/// <summary>
/// Row-wise neural-network operations on [rows, width] data, in place. Activations are in Ops.Activations.cs,
/// rotary embeddings in Ops.Rope.cs.
/// </summary>
public static partial class Ops
{
    /// <summary>Softmax over each row of width <paramref name="width"/>.</summary>
    public static void SoftmaxRows(Span<float> x, int width)
    {
        for (int r = 0; r + width <= x.Length; r += width)
        {
            var row = x.Slice(r, width);
            // TensorPrimitives.SoftMax exponentiates the raw logits (exp(1000) = ∞ → NaN); shift by the max first.
            float max = TensorPrimitives.Max<float>(row);
            TensorPrimitives.Subtract(row, max, row);
            TensorPrimitives.Exp(row, row);
            TensorPrimitives.Multiply(row, 1f / TensorPrimitives.Sum<float>(row), row);
        }
    }

    /// <summary>y = (x − mean) / sqrt(var + eps) · gamma + beta over each row.</summary>
    public static void LayerNormRows(Span<float> x, int width, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, float eps)
    {
        for (int r = 0; r + width <= x.Length; r += width)
        {
            var row = x.Slice(r, width);
            float mean = TensorPrimitives.Sum<float>(row) / width;
            TensorPrimitives.Subtract(row, mean, row);
            float variance = TensorPrimitives.SumOfSquares<float>(row) / width;
            TensorPrimitives.Multiply(row, 1f / MathF.Sqrt(variance + eps), row);
            TensorPrimitives.Multiply(row, gamma, row);
            TensorPrimitives.Add(row, beta, row);
        }
    }

    /// <summary>RMSNorm (LLaMA family): y = x / sqrt(mean(x²) + eps) · gamma over each row (no mean removal, no bias).</summary>
    public static void RmsNormRows(Span<float> x, int width, ReadOnlySpan<float> gamma, float eps)
    {
        if (gamma.Length != width) throw new ArgumentException($"RMSNorm gamma has {gamma.Length} values, rows are {width} wide");
        for (int r = 0; r + width <= x.Length; r += width)
        {
            var row = x.Slice(r, width);
            float meanSquare = TensorPrimitives.SumOfSquares<float>(row) / width;
            TensorPrimitives.Multiply(row, 1f / MathF.Sqrt(meanSquare + eps), row);
            TensorPrimitives.Multiply(row, gamma, row);
        }
    }

    /// <summary>Adds <paramref name="bias"/> to every row.</summary>
    public static void AddBiasRows(Span<float> x, ReadOnlySpan<float> bias)
    {
        int width = bias.Length;
        for (int r = 0; r + width <= x.Length; r += width) TensorPrimitives.Add(x.Slice(r, width), bias, x.Slice(r, width));
    }
}
