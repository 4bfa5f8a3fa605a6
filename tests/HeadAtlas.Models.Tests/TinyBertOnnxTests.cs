using Google.Protobuf;
using HeadAtlas.Models;
using HeadAtlas.Models.Architectures;
using HeadAtlas.Models.Onnx;
using HeadAtlas.Models.Tokenization;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace HeadAtlas.Models.Tests;

/// <summary>
/// A small random BERT written here as ONNX in a different export style than MiniLM's (names prefixed "bert.", the
/// key projection as Gemm with a transposed weight, LayerNormalization nodes with their own epsilon, 2 heads of 8):
/// the loader must map it from names and data flow alone, and our forward pass must match ONNX Runtime on it.
/// </summary>
public sealed class TinyBertOnnxTests
{
    private const int Vocab = 40, Positions = 24, D = 16, Heads = 2, DHead = 8, DMlp = 32, Layers = 2;
    private const float Eps = 1e-2f; // far from BERT's 1e-12, so reading the wrong epsilon would show

    [Fact]
    public void LoaderReadsShapeFromTheGraph()
    {
        var w = BertOnnxLoader.Load(OnnxGraphReader.Read(Build(out _), "tiny.onnx"));
        Assert.Equal((D, Heads, DHead, DMlp, Layers, Vocab, Positions), (w.DModel, w.Heads, w.DHead, w.DMlp, w.Layers.Length, w.VocabSize, w.MaxPositions));
        Assert.Equal(Eps, w.LayerNormEps);
    }

    [Fact]
    public void ForwardMatchesOnnxRuntime()
    {
        byte[] bytes = Build(out var probes);
        var graph = OnnxGraphReader.Read(bytes, "tiny.onnx");
        string[] vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", .. Enumerable.Range(0, Vocab - 5).Select(i => $"w{i}")];
        var model = new Bert("tiny", BertOnnxLoader.Load(graph), new BertTextTokenizer(vocab, lowerCase: true, Positions));
        using var session = new InferenceSession(OnnxModelEditor.WithExtraOutputs(bytes, probes.SelectMany(p => new[] { p.Q, p.K, p.Pattern })));

        foreach (int n in new[] { 1, 5, Positions })
        {
            var ids = Enumerable.Range(0, n).Select(i => (i * 7 + 3) % Vocab).ToArray();
            var hooks = new HookSet();
            for (int l = 0; l < Layers; l++) hooks.Capture($"blocks.{l}.attn.hook_q", $"blocks.{l}.attn.hook_k", $"blocks.{l}.attn.hook_pattern");
            var ours = model.Forward([ids], [hooks])[0];

            using var results = session.Run(
            [
                NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(ids.Select(i => (long)i).ToArray(), [n])),
                NamedOnnxValue.CreateFromTensor("position_ids", new DenseTensor<long>(Enumerable.Range(0, n).Select(i => (long)i).ToArray(), [n])),
                NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(new long[n], [n])),
            ]);
            var expected = results.ToDictionary(r => r.Name, r => r.AsEnumerable<float>().ToArray());
            for (int l = 0; l < Layers; l++)
            {
                AssertClose(expected[probes[l].Q], hooks.Captured[$"blocks.{l}.attn.hook_q"].Data, $"n={n} layer {l} q");
                AssertClose(expected[probes[l].K], hooks.Captured[$"blocks.{l}.attn.hook_k"].Data, $"n={n} layer {l} k (Gemm, transB)");
                AssertClose(expected[probes[l].Pattern], hooks.Captured[$"blocks.{l}.attn.hook_pattern"].Data, $"n={n} layer {l} pattern");
            }
            AssertClose(expected["hidden"], ours.Data, $"n={n} output");
        }
    }

    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        float diff = BertVsOnnxRuntimeTests.MaxAbsDiff(expected, actual);
        Assert.True(diff <= 1e-5f, $"{what}: max abs diff {diff:g3}");
    }

    /// <summary>The ONNX bytes; <paramref name="probes"/> names each layer's q, k and softmax values.</summary>
    private static byte[] Build(out List<(string Q, string K, string Pattern)> probes)
    {
        var g = new GraphBuilder(new Random(7));
        const string pre = "bert.";
        string word = g.Init(pre + "embeddings.word_embeddings.weight", [Vocab, D]);
        string pos = g.Init(pre + "embeddings.position_embeddings.weight", [Positions, D]);
        string type = g.Init(pre + "embeddings.token_type_embeddings.weight", [2, D]);
        string heads = g.Int64("heads_shape", [-1, Heads, DHead]);
        string flat = g.Int64("flat_shape", [-1, D]);
        string sqrtDh = g.Scalar("sqrt_dh", MathF.Sqrt(DHead));
        string sqrt2 = g.Scalar("sqrt2", MathF.Sqrt(2)), one = g.Scalar("one", 1), half = g.Scalar("half", 0.5f);

        string x = g.Op("Add", g.Op("Add", g.Op("Gather", word, "input_ids"), g.Op("Gather", pos, "position_ids")), g.Op("Gather", type, "token_type_ids"));
        x = g.LayerNorm(x, pre + "embeddings.LayerNorm");
        probes = [];
        for (int l = 0; l < Layers; l++)
        {
            string L(string part) => $"{pre}encoder.layer.{l}.{part}";
            string q = g.Op("Add", g.Op("MatMul", x, g.Init($"wq{l}", [D, D])), g.Init(L("attention.self.query.bias"), [D]));
            string k = g.Node("Gemm", [x, g.Init($"wk{l}", [D, D]), g.Init(L("attention.self.key.bias"), [D])], Proto.IntAttribute("transB", 1));
            string v = g.Op("Add", g.Init(L("attention.self.value.bias"), [D]), g.Op("MatMul", x, g.Init($"wv{l}", [D, D])));
            string qh = g.Node("Transpose", [g.Op("Reshape", q, heads)], Proto.IntsAttribute("perm", 1, 0, 2)); // [head, pos, d_head]
            string kh = g.Node("Transpose", [g.Op("Reshape", k, heads)], Proto.IntsAttribute("perm", 1, 2, 0)); // [head, d_head, pos]
            string vh = g.Node("Transpose", [g.Op("Reshape", v, heads)], Proto.IntsAttribute("perm", 1, 0, 2)); // [head, pos, d_head]
            string p = g.Node("Softmax", [g.Op("Div", g.Op("MatMul", qh, kh), sqrtDh)], Proto.IntAttribute("axis", -1));
            string z = g.Op("Reshape", g.Node("Transpose", [g.Op("MatMul", p, vh)], Proto.IntsAttribute("perm", 1, 0, 2)), flat);
            string o = g.Op("Add", g.Op("MatMul", z, g.Init($"wo{l}", [D, D])), g.Init(L("attention.output.dense.bias"), [D]));
            string x1 = g.LayerNorm(g.Op("Add", o, x), L("attention.output.LayerNorm"));
            string h = g.Op("Add", g.Op("MatMul", x1, g.Init($"w1{l}", [D, DMlp])), g.Init(L("intermediate.dense.bias"), [DMlp]));
            string gelu = g.Op("Mul", g.Op("Mul", h, g.Op("Add", g.Op("Erf", g.Op("Div", h, sqrt2)), one)), half);
            string m = g.Op("Add", g.Op("MatMul", gelu, g.Init($"w2{l}", [DMlp, D])), g.Init(L("output.dense.bias"), [D]));
            x = g.LayerNorm(g.Op("Add", m, x1), L("output.LayerNorm"));
            probes.Add((q, k, p));
        }
        g.Node("Identity", [x], output: "hidden");
        return Proto.Model(Proto.Graph([.. g.Initializers], [.. g.Nodes], ["input_ids", "position_ids", "token_type_ids"], ["hidden"], typed: true));
    }

    private sealed class GraphBuilder(Random random)
    {
        public List<ByteString> Initializers { get; } = [];
        public List<ByteString> Nodes { get; } = [];
        private int _next;

        public string Init(string name, long[] dims, float scale = 0.5f)
        {
            int count = (int)dims.Aggregate(1L, (a, b) => a * b);
            var data = Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1) * scale).ToArray();
            Initializers.Add(Proto.Tensor(name, dims, 1, raw: data));
            return name;
        }

        public string Int64(string name, long[] values)
        {
            Initializers.Add(Proto.Tensor(name, [values.Length], 7, int64Data: values));
            return name;
        }

        public string Scalar(string name, float value)
        {
            Initializers.Add(Proto.Tensor(name, [], 1, raw: [value]));
            return name;
        }

        public string LayerNorm(string x, string prefix)
        {
            string gamma = prefix + ".weight", beta = prefix + ".bias";
            Initializers.Add(Proto.Tensor(gamma, [D], 1, raw: Enumerable.Range(0, D).Select(_ => 1f + (float)(random.NextDouble() - 0.5) * 0.2f).ToArray()));
            Init(beta, [D], 0.1f);
            return Node("LayerNormalization", [x, gamma, beta], Proto.FloatAttribute("epsilon", Eps), Proto.IntAttribute("axis", -1));
        }

        public string Op(string op, params string[] inputs) => Node(op, inputs);

        public string Node(string op, string[] inputs, params ByteString[] attributes) => Node(op, inputs, null, attributes);

        public string Node(string op, string[] inputs, string? output, params ByteString[] attributes)
        {
            string name = output ?? $"v{_next++}";
            Nodes.Add(Proto.Node(op, inputs, [name], $"{op}_{Nodes.Count}", attributes));
            return name;
        }
    }
}
