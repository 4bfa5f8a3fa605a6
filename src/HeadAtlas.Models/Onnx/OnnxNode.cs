namespace HeadAtlas.Models.Onnx;

/// <summary>One ONNX NodeProto: an operator, the value names it reads and writes, and its attributes.</summary>
public sealed record OnnxNode(
    string Name,
    string OpType,
    string[] Inputs,
    string[] Outputs,
    IReadOnlyDictionary<string, OnnxAttribute> Attributes)
{
    public override string ToString() => $"{OpType} {Name} ({string.Join(", ", Inputs)}) -> ({string.Join(", ", Outputs)})";
}

/// <summary>One ONNX AttributeProto; only the field its type uses is set.</summary>
public sealed record OnnxAttribute(string Name, float? Float, long? Int, string? String, float[] Floats, long[] Ints, OnnxTensor? Tensor);
