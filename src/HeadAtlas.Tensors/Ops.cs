using System.Numerics.Tensors;

namespace HeadAtlas.Tensors;

/// <summary>Row-wise neural-network operations on [rows, width] data, in place.</summary>
public static class Ops
{
    /// <summary>Softmax over each row of width <paramref name="width"/>.</summary>
    public static void SoftmaxRows(Span<float> x, int width)
    {
        for (int r = 0; r + width <= x.Length; r += width)
        {
            var row = x.Slice(r, width);
            TensorPrimitives.SoftMax(row, row);
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

    /// <summary>GELU, exact erf form (what BERT and ViT use).</summary>
    public static void GeluErf(Span<float> x)
    {
        for (int i = 0; i < x.Length; i++) x[i] = 0.5f * x[i] * (1f + Erf(x[i] * 0.70710678f));
    }

    /// <summary>Adds <paramref name="bias"/> to every row.</summary>
    public static void AddBiasRows(Span<float> x, ReadOnlySpan<float> bias)
    {
        int width = bias.Length;
        for (int r = 0; r + width <= x.Length; r += width) TensorPrimitives.Add(x.Slice(r, width), bias, x.Slice(r, width));
    }

    // Abramowitz–Stegun 7.1.26 is too coarse (1.5e-7 abs is fine, but relative error near 0 matters for GELU
    // parity with ONNX Runtime); use the float erf from the runtime via double.
    private static float Erf(float v) => (float)ErfDouble(v);

    private static double ErfDouble(double x)
    {
        // W. J. Cody's rational approximations are what libm uses; .NET has no Math.Erf, so we use a
        // high-precision series/continued-fraction split that is accurate to ~1e-15.
        double ax = Math.Abs(x);
        double r;
        if (ax < 2.5)
        {
            // Maclaurin series: erf(x) = 2/sqrt(pi) · Σ (-1)^n x^(2n+1) / (n! (2n+1))
            double term = ax, sum = ax, x2 = ax * ax;
            for (int n = 1; n < 60; n++)
            {
                term *= -x2 / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.Abs(add) < 1e-17 * Math.Abs(sum)) break;
            }
            r = sum * 1.1283791670955126;
        }
        else
        {
            // Continued fraction for erfc, Lentz's method.
            double x2 = ax * ax;
            double f = ax, c = ax, d = 0, tiny = 1e-300;
            for (int n = 1; n < 200; n++)
            {
                double an = n * 0.5;
                d = ax + an * d; if (Math.Abs(d) < tiny) d = tiny; d = 1 / d;
                c = ax + an / c; if (Math.Abs(c) < tiny) c = tiny;
                double delta = c * d; f *= delta;
                if (Math.Abs(delta - 1) < 1e-16) break;
            }
            r = 1 - Math.Exp(-x2) / (f * 1.7724538509055159);
        }
        return x < 0 ? -r : r;
    }
}
