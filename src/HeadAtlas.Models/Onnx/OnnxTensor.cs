namespace HeadAtlas.Models.Onnx;

/// <summary>One ONNX TensorProto (an initializer or a Constant node's value), decoded to float32.</summary>
/// <param name="Name">Initializer name, e.g. "encoder.layer.0.attention.self.query.bias" or "onnx::MatMul_1234".</param>
/// <param name="Dims">Shape as stored, e.g. [384, 1536] for a MatMul weight [in, out].</param>
/// <param name="Data">Elements in row-major order; integer tensors are converted to float.</param>
/// <param name="DataType">ONNX TensorProto.DataType code (1 = FLOAT, 6 = INT32, 7 = INT64, 11 = DOUBLE).</param>
public sealed record OnnxTensor(string Name, long[] Dims, float[] Data, int DataType)
{
    public int[] Shape => Dims.Select(d => checked((int)d)).ToArray();

    public override string ToString() => $"{Name} [{string.Join(", ", Dims)}]";
}
