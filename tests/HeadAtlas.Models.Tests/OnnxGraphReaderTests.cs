using Google.Protobuf;
using HeadAtlas.Models;
using HeadAtlas.Models.Onnx;

namespace HeadAtlas.Models.Tests;

/// <summary>The wire-level ONNX reader on hand-encoded protobuf (every encoding variant) and on the real MiniLM file.</summary>
public sealed class OnnxGraphReaderTests
{
    [Fact]
    public void ReadsInitializersInEveryEncoding()
    {
        var model = Proto.Model(Proto.Graph(
            initializers:
            [
                Proto.Tensor("raw", [2, 3], dataType: 1, raw: [1f, 2f, 3f, 4f, 5f, 6f]),
                Proto.Tensor("packed", [3], dataType: 1, floatData: [0.5f, -1.5f, 2.25f]),
                Proto.Tensor("unpackedDims", [1, 2], dataType: 1, floatData: [7f, 8f], packDims: false),
                Proto.Tensor("ints", [2], dataType: 7, int64Data: [12, -3]),
            ],
            nodes: [Proto.Node("Add", ["raw", "packed"], ["sum"], "add0")],
            inputs: ["input_ids"], outputs: ["sum"]));

        var g = OnnxGraphReader.Read(model, "test.onnx");
        Assert.Equal([2L, 3], g.Constant("raw").Dims);
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], g.Constant("raw").Data);
        Assert.Equal([0.5f, -1.5f, 2.25f], g.Constant("packed").Data);
        Assert.Equal([1L, 2], g.Constant("unpackedDims").Dims);
        Assert.Equal([7f, 8f], g.Constant("unpackedDims").Data);
        Assert.Equal([12f, -3f], g.Constant("ints").Data);
        Assert.Equal(["input_ids"], g.Inputs);
        Assert.Equal(["sum"], g.Outputs);
        var add = Assert.Single(g.Nodes);
        Assert.Equal("Add", add.OpType);
        Assert.Same(add, g.Producer("sum"));
        Assert.Same(add, Assert.Single(g.Consumers("packed")));
    }

    [Fact]
    public void ConstantNodesCountAsConstantsAndAttributesAreRead()
    {
        var model = Proto.Model(Proto.Graph(
            initializers: [],
            nodes:
            [
                Proto.Node("Constant", [], ["eps"], "c0", Proto.TensorAttribute("value", Proto.Tensor("", [], dataType: 1, raw: [1e-12f]))),
                Proto.Node("Gemm", ["x", "w", "b"], ["y"], "g0", Proto.IntAttribute("transB", 1), Proto.FloatAttribute("alpha", 0.5f)),
            ],
            inputs: ["x"], outputs: ["y"]));
        var g = OnnxGraphReader.Read(model, "test.onnx");
        Assert.Equal([1e-12f], g.Constant("eps").Data);
        var gemm = g.Producer("y")!;
        Assert.Equal(1L, gemm.Attributes["transB"].Int);
        Assert.Equal(0.5f, gemm.Attributes["alpha"].Float);
    }

    [Fact]
    public void LinearLookupFollowsGemmWithTransposedWeight()
    {
        // y = x · Wᵀ + b with W stored [out = 2, in = 3], as torch.nn.Linear keeps it.
        float[] w = [1, 2, 3, 4, 5, 6];
        var model = Proto.Model(Proto.Graph(
            initializers: [Proto.Tensor("w", [2, 3], 1, raw: w), Proto.Tensor("lin.bias", [2], 1, raw: [0f, 0f])],
            nodes: [Proto.Node("Gemm", ["x", "w", "lin.bias"], ["y"], "g0", Proto.IntAttribute("transB", 1))],
            inputs: ["x"], outputs: ["y"]));
        var (weight, inDim, outDim) = OnnxLinearLookup.WeightOf(OnnxGraphReader.Read(model, "t.onnx"), "lin.bias");
        Assert.Equal((3, 2), (inDim, outDim));
        Assert.Equal([1f, 4f, 2f, 5f, 3f, 6f], weight); // [in, out]
    }

    [Fact]
    public void ExternalDataIsRefusedByName()
    {
        var tensor = Proto.Tensor("big.weight", [2], 1, raw: [1f, 2f], externalLocation: true);
        var e = Assert.Throws<ModelException>(() => OnnxGraphReader.Read(Proto.Model(Proto.Graph([tensor], [], [], [])), "m.onnx"));
        Assert.Contains("m.onnx", e.Message);
        Assert.Contains("big.weight", e.Message);
    }

    [Fact]
    public void GarbageIsAModelErrorNamingTheSource()
    {
        var e = Assert.Throws<ModelException>(() => OnnxGraphReader.Read([0x3a, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2], "broken.onnx"));
        Assert.Contains("broken.onnx", e.Message);
        Assert.Throws<ModelException>(() => OnnxGraphReader.Read([0x08, 0x07], "nograph.onnx")); // ir_version only
    }

    [Fact]
    public void ShapeMismatchIsAModelError()
    {
        var bad = Proto.Tensor("w", [2, 3], 1, raw: [1f, 2f]);
        var e = Assert.Throws<ModelException>(() => OnnxGraphReader.Read(Proto.Model(Proto.Graph([bad], [], [], [])), "m.onnx"));
        Assert.Contains("'w'", e.Message);
    }

    [Fact]
    public void MiniLmGraphHasTheExpectedWiring()
    {
        var g = OnnxGraphReader.Read(MiniLmResources.ReadModelBytes(), "minilm");
        Assert.Equal(["input_ids", "attention_mask", "token_type_ids"], g.Inputs);
        Assert.Contains("last_hidden_state", g.Outputs);
        Assert.Equal([30522L, 384], g.Constant("embeddings.word_embeddings.weight").Dims);
        Assert.Equal(6, g.Nodes.Count(n => n.OpType == "Softmax"));
        var (w, i, o) = OnnxLinearLookup.WeightOf(g, "encoder.layer.3.intermediate.dense.bias");
        Assert.Equal((384, 1536), (i, o));
        Assert.Equal(384 * 1536, w.Length);
    }

    [Fact]
    public void ExtraOutputsAreAppendedAndTheRestIsKept()
    {
        byte[] original = Proto.Model(Proto.Graph([], [Proto.Node("Relu", ["x"], ["h"], "r"), Proto.Node("Neg", ["h"], ["y"], "n")], ["x"], ["y"]));
        var g = OnnxGraphReader.Read(OnnxModelEditor.WithExtraOutputs(original, ["h"]), "t.onnx");
        Assert.Equal(["y", "h"], g.Outputs);
        Assert.Equal(2, g.Nodes.Count);
    }

    /// <summary>Hand encoding of the few ONNX messages the tests need (field numbers from onnx.proto3).</summary>
    private static class Proto
    {
        public static byte[] Model(ByteString graph) => Message(o =>
        {
            o.WriteTag(1, WireFormat.WireType.Varint); o.WriteInt64(8); // ir_version
            o.WriteTag(7, WireFormat.WireType.LengthDelimited); o.WriteBytes(graph);
        }).ToByteArray();

        public static ByteString Graph(ByteString[] initializers, ByteString[] nodes, string[] inputs, string[] outputs) => Message(o =>
        {
            foreach (var n in nodes) { o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteBytes(n); }
            o.WriteTag(2, WireFormat.WireType.LengthDelimited); o.WriteString("g");
            foreach (var t in initializers) { o.WriteTag(5, WireFormat.WireType.LengthDelimited); o.WriteBytes(t); }
            foreach (var i in inputs) { o.WriteTag(11, WireFormat.WireType.LengthDelimited); o.WriteBytes(ValueInfo(i)); }
            foreach (var i in outputs) { o.WriteTag(12, WireFormat.WireType.LengthDelimited); o.WriteBytes(ValueInfo(i)); }
        });

        public static ByteString Node(string op, string[] inputs, string[] outputs, string name, params ByteString[] attributes) => Message(o =>
        {
            foreach (var i in inputs) { o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(i); }
            foreach (var i in outputs) { o.WriteTag(2, WireFormat.WireType.LengthDelimited); o.WriteString(i); }
            o.WriteTag(3, WireFormat.WireType.LengthDelimited); o.WriteString(name);
            o.WriteTag(4, WireFormat.WireType.LengthDelimited); o.WriteString(op);
            foreach (var a in attributes) { o.WriteTag(5, WireFormat.WireType.LengthDelimited); o.WriteBytes(a); }
        });

        public static ByteString Tensor(string name, long[] dims, int dataType, float[]? raw = null, float[]? floatData = null,
            long[]? int64Data = null, bool packDims = true, bool externalLocation = false) => Message(o =>
        {
            if (packDims && dims.Length > 0)
            {
                o.WriteTag(1, WireFormat.WireType.LengthDelimited);
                o.WriteBytes(Message(p => { foreach (var d in dims) p.WriteInt64(d); }));
            }
            else foreach (var d in dims) { o.WriteTag(1, WireFormat.WireType.Varint); o.WriteInt64(d); }
            o.WriteTag(2, WireFormat.WireType.Varint); o.WriteInt32(dataType);
            if (floatData is not null)
            {
                o.WriteTag(4, WireFormat.WireType.LengthDelimited);
                o.WriteBytes(Message(p => { foreach (var f in floatData) p.WriteFloat(f); }));
            }
            if (int64Data is not null)
            {
                o.WriteTag(7, WireFormat.WireType.LengthDelimited);
                o.WriteBytes(Message(p => { foreach (var v in int64Data) p.WriteInt64(v); }));
            }
            o.WriteTag(8, WireFormat.WireType.LengthDelimited); o.WriteString(name);
            if (raw is not null)
            {
                o.WriteTag(9, WireFormat.WireType.LengthDelimited);
                o.WriteBytes(ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(raw.AsSpan())));
            }
            if (externalLocation) { o.WriteTag(14, WireFormat.WireType.Varint); o.WriteInt32(1); }
        });

        public static ByteString IntAttribute(string name, long value) => Message(o =>
        {
            o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(name);
            o.WriteTag(3, WireFormat.WireType.Varint); o.WriteInt64(value);
        });

        public static ByteString FloatAttribute(string name, float value) => Message(o =>
        {
            o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(name);
            o.WriteTag(2, WireFormat.WireType.Fixed32); o.WriteFloat(value);
        });

        public static ByteString TensorAttribute(string name, ByteString tensor) => Message(o =>
        {
            o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(name);
            o.WriteTag(5, WireFormat.WireType.LengthDelimited); o.WriteBytes(tensor);
        });

        private static ByteString ValueInfo(string name) => Message(o => { o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(name); });

        private static ByteString Message(Action<CodedOutputStream> write)
        {
            var stream = new MemoryStream();
            var output = new CodedOutputStream(stream);
            write(output);
            output.Flush();
            return ByteString.CopyFrom(stream.ToArray());
        }
    }
}
