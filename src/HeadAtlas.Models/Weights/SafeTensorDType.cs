namespace HeadAtlas.Models.Weights;

/// <summary>The element types a safetensors header may declare (its "dtype" strings), and their sizes.</summary>
public enum SafeTensorDType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, Bool, F8E4M3, F8E5M2 }

public static class SafeTensorDTypes
{
    public static bool TryParse(string text, out SafeTensorDType dtype)
    {
        (bool ok, dtype) = text switch
        {
            "F64" => (true, SafeTensorDType.F64),
            "F32" => (true, SafeTensorDType.F32),
            "F16" => (true, SafeTensorDType.F16),
            "BF16" => (true, SafeTensorDType.BF16),
            "I64" => (true, SafeTensorDType.I64),
            "I32" => (true, SafeTensorDType.I32),
            "I16" => (true, SafeTensorDType.I16),
            "I8" => (true, SafeTensorDType.I8),
            "U8" => (true, SafeTensorDType.U8),
            "BOOL" => (true, SafeTensorDType.Bool),
            "F8_E4M3" => (true, SafeTensorDType.F8E4M3),
            "F8_E5M2" => (true, SafeTensorDType.F8E5M2),
            _ => (false, default),
        };
        return ok;
    }

    public static int Size(this SafeTensorDType dtype) => dtype switch
    {
        SafeTensorDType.F64 or SafeTensorDType.I64 => 8,
        SafeTensorDType.F32 or SafeTensorDType.I32 => 4,
        SafeTensorDType.F16 or SafeTensorDType.BF16 or SafeTensorDType.I16 => 2,
        _ => 1,
    };

    /// <summary>True for the types HeadAtlas reads as weights (converted to fp32 on access).</summary>
    public static bool IsFloatWeight(this SafeTensorDType dtype) =>
        dtype is SafeTensorDType.F32 or SafeTensorDType.F16 or SafeTensorDType.BF16 or SafeTensorDType.F64;
}

/// <summary>One tensor of a safetensors file: where its bytes lie, relative to the start of the data section.</summary>
/// <param name="Shape">Dimensions, outermost first (row-major).</param>
public sealed record SafeTensorInfo(string Name, SafeTensorDType DType, long[] Shape, long Begin, long End)
{
    public long Count => Shape.Aggregate(1L, (a, b) => a * b);
    public string ShapeText => $"[{string.Join(", ", Shape)}]";
}
