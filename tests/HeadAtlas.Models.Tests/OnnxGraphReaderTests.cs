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
}
