using System.Buffers;
using HeadAtlas.Tensors;

namespace HeadAtlas.Models.Weights;

/// <summary>
/// A weight matrix [rows, cols] kept in its file's type (memory-mapped). F32 matrices are used in place; F16 and BF16
/// ones are widened to fp32 into a pooled buffer for each use, so a BF16 model costs half the memory of fp32.
/// </summary>
public sealed class WeightMatrix(SafeTensorsFile file, SafeTensorInfo tensor, int rows, int cols)
{
    public int Rows { get; } = rows;
    public int Cols { get; } = cols;
    public string Name => tensor.Name;

    /// <summary>Calls <paramref name="use"/> with the whole matrix as fp32 [rows, cols].</summary>
    public void WithF32(ReadOnlySpanAction<float> use)
    {
        if (tensor.DType == SafeTensorDType.F32) { use(file.F32View(tensor)); return; }
        int n = Rows * Cols;
        var buffer = ArrayPool<float>.Shared.Rent(n);
        try
        {
            file.CopyToF32(tensor, buffer.AsSpan(0, n));
            use(buffer.AsSpan(0, n));
        }
        finally { ArrayPool<float>.Shared.Return(buffer); }
    }

    public delegate void ReadOnlySpanAction<T>(ReadOnlySpan<T> span);

    /// <summary>Row <paramref name="r"/> as fp32 (an embedding lookup).</summary>
    public void CopyRow(int r, Span<float> destination) => file.CopyToF32(tensor, destination[..Cols], (long)r * Cols);

    /// <summary>y[n, rows] = x[n, cols] · Wᵀ: a Hugging Face / PyTorch Linear, whose weight is stored [out, in].</summary>
    public void MultiplyTransposed(float[] x, float[] y, int n, bool accumulate = false) =>
        WithF32(w => Gemm.MultiplyTransposedB(x.AsSpan(0, n * Cols), w, y.AsSpan(0, n * Rows), n, Cols, Rows, accumulate));

    /// <summary>y[n, cols] = x[n, rows] · W: weights stored [in, out] (GPT-2's Conv1D).</summary>
    public void Multiply(float[] x, float[] y, int n, bool accumulate = false) =>
        WithF32(w => Gemm.Multiply(x.AsSpan(0, n * Rows), w, y.AsSpan(0, n * Cols), n, Rows, Cols, accumulate));
}
