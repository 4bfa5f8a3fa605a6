using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace HeadAtlas.Bench;

/// <summary>
/// ONNX Runtime running one MatMul C[m,n] = A[m,k]·B[k,n] with B a constant initializer (as weights are in a model, so
/// ORT may pre-pack it): the GEMM anchor for <see cref="GemmBench"/>. The tiny ONNX model is written here by hand
/// with protobuf's wire format (field numbers from onnx.proto).
/// </summary>
internal sealed class OrtMatMul : IDisposable
{
    private readonly InferenceSession _session;
    private readonly DenseTensor<float> _a;
    private readonly List<NamedOnnxValue> _inputs;

    public OrtMatMul(float[] a, float[] b, int m, int k, int n, int threads)
    {
        var options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        _session = new InferenceSession(BuildModel(b, m, k, n), options);
        _a = new DenseTensor<float>(a, [m, k]);
        _inputs = [NamedOnnxValue.CreateFromTensor("A", _a)];
    }

    public void Run()
    {
        using var results = _session.Run(_inputs);
    }

    public void Dispose() => _session.Dispose();

    private static byte[] BuildModel(float[] b, int m, int k, int n)
    {
        var graph = new Message()
            .Sub(1, new Message().Str(1, "A").Str(1, "B").Str(2, "C").Str(3, "matmul").Str(4, "MatMul")) // node
            .Str(2, "gemm")                                                                                   // name
            .Sub(5, Initializer("B", b, k, n))                                                                // initializer
            .Sub(11, ValueInfo("A", m, k))                                                                    // input
            .Sub(12, ValueInfo("C", m, n));                                                                   // output
        var model = new Message()
            .Int(1, 8)                                          // ir_version
            .Str(2, "headatlas-bench")                          // producer_name
            .Sub(7, graph)                                      // graph
            .Sub(8, new Message().Str(1, "").Int(2, 13));       // opset_import: default domain, opset 13
        return model.ToBytes();
    }

    private static Message ValueInfo(string name, params long[] dims)
    {
        var shape = new Message();
        foreach (long d in dims) shape.Sub(1, new Message().Int(1, d)); // dim { dim_value }
        var tensorType = new Message().Int(1, 1).Sub(2, shape);          // elem_type FLOAT, shape
        return new Message().Str(1, name).Sub(2, new Message().Sub(1, tensorType));
    }

    private static Message Initializer(string name, float[] values, params long[] dims)
    {
        var t = new Message();
        foreach (long d in dims) t.Int(1, d);                     // dims
        t.Int(2, 1).Str(8, name);                                 // data_type FLOAT, name
        var raw = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, raw, 0, raw.Length);          // little-endian float32, as raw_data wants
        return t.Bytes(9, raw);
    }

    /// <summary>A protobuf message as a list of wire-format fields (enough of the format for this model).</summary>
    private sealed class Message
    {
        private readonly MemoryStream _buffer = new();
        private readonly CodedOutputStream _out;

        public Message() => _out = new CodedOutputStream(_buffer, leaveOpen: true);

        public Message Int(int field, long value) { _out.WriteTag(field, WireFormat.WireType.Varint); _out.WriteInt64(value); return this; }
        public Message Str(int field, string value) { _out.WriteTag(field, WireFormat.WireType.LengthDelimited); _out.WriteString(value); return this; }
        public Message Bytes(int field, byte[] value) { _out.WriteTag(field, WireFormat.WireType.LengthDelimited); _out.WriteBytes(ByteString.CopyFrom(value)); return this; }
        public Message Sub(int field, Message value) => Bytes(field, value.ToBytes());

        public byte[] ToBytes() { _out.Flush(); return _buffer.ToArray(); }
    }
}
