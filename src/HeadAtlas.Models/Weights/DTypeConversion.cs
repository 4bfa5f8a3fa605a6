using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace HeadAtlas.Models.Weights;

/// <summary>Widens stored weights to fp32: exact for F16 and BF16 (every value of theirs is a float).</summary>
public static class DTypeConversion
{
    public static void ToF32(SafeTensorDType dtype, ReadOnlySpan<byte> source, Span<float> destination)
    {
        switch (dtype)
        {
            case SafeTensorDType.F32:
                MemoryMarshal.Cast<byte, float>(source).CopyTo(destination);
                break;
            case SafeTensorDType.F16:
                TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(source), destination);
                break;
            case SafeTensorDType.BF16:
                Bf16ToF32(MemoryMarshal.Cast<byte, ushort>(source), MemoryMarshal.Cast<float, uint>(destination));
                break;
            case SafeTensorDType.F64:
                var d = MemoryMarshal.Cast<byte, double>(source);
                for (int i = 0; i < d.Length; i++) destination[i] = (float)d[i];
                break;
            default:
                throw new ArgumentException($"{dtype} is not a float type");
        }
    }

    /// <summary>A bfloat16 is the top half of a float32's bits.</summary>
    private static void Bf16ToF32(ReadOnlySpan<ushort> source, Span<uint> destination)
    {
        for (int i = 0; i < source.Length; i++) destination[i] = (uint)source[i] << 16;
    }
}
