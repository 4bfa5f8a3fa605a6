using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace HeadAtlas.Tensors;

/// <summary>
/// Row-wise neural-network operations on [rows, width] data, in place. Activations are in Ops.Activations.cs,
/// rotary embeddings in Ops.Rope.cs.
/// </summary>
public static partial class Ops
{
    /// <summary>Softmax over each row of width <paramref name="width"/> (numerically stable: shifted by the row max).</summary>
    public static void SoftmaxRows(Span<float> x, int width)
    {
        // TensorPrimitives.SoftMax exponentiates the raw logits (exp(1000) = ∞ → NaN), and its Exp is an out-of-line
        // call per vector; attention rows are short (tens of keys), so the inline FastMath.Exp matters here.
        for (int r = 0; r + width <= x.Length; r += width)
        {
            var row = x.Slice(r, width);
            float max = TensorPrimitives.Max<float>(row);
            var shift = Vector256.Create(max);
            var sum = Vector256<float>.Zero;
            int j = 0;
            ref float start = ref MemoryMarshal.GetReference(row);
            for (; j + 8 <= width; j += 8)
            {
                ref float at = ref Unsafe.Add(ref start, j);
                var e = FastMath.Exp(Vector256.LoadUnsafe(ref at) - shift);
                e.StoreUnsafe(ref at);
                sum += e;
            }
            float total = Vector256.Sum(sum);
            for (; j < width; j++)
            {
                float e = MathF.Exp(row[j] - max);
                row[j] = e;
                total += e;
            }
            TensorPrimitives.Multiply(row, 1f / total, row);
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
