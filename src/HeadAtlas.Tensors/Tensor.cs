namespace HeadAtlas.Tensors;

/// <summary>
/// A dense float32 tensor: contiguous row-major data and a shape. Deliberately small: views, broadcasting
/// and autograd are not needed to run a transformer forward pass and read its activations.
/// </summary>
public sealed class Tensor
{
    public float[] Data { get; }
    public int[] Shape { get; }

    public Tensor(params int[] shape) : this(new float[CountOf(shape)], shape) { }

    public Tensor(float[] data, params int[] shape)
    {
        long count = CountOf(shape);
        if (data.Length != count)
            throw new ArgumentException($"data has {data.Length} elements but shape [{string.Join(", ", shape)}] needs {count}");
        Data = data;
        Shape = (int[])shape.Clone();
    }

    public int Rank => Shape.Length;
    public int Length => Data.Length;
    public Span<float> Span => Data;

    /// <summary>Size of dimension <paramref name="axis"/>; negative axes count from the end.</summary>
    public int Dim(int axis) => Shape[axis < 0 ? Shape.Length + axis : axis];

    /// <summary>Same data, new shape (no copy).</summary>
    public Tensor Reshape(params int[] shape) => new(Data, shape);

    public Tensor Clone() => new((float[])Data.Clone(), Shape);

    /// <summary>Row <paramref name="i"/> of a tensor seen as [rows, last dim].</summary>
    public Span<float> Row(int i)
    {
        int width = Shape[^1];
        return Data.AsSpan(i * width, width);
    }

    public override string ToString() => $"Tensor[{string.Join(", ", Shape)}]";

    private static int CountOf(int[] shape)
    {
        long count = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"negative dimension in shape [{string.Join(", ", shape)}]");
            count *= d;
        }
        if (count > Array.MaxLength) throw new ArgumentException($"shape [{string.Join(", ", shape)}] is too large");
        return (int)count;
    }
}
