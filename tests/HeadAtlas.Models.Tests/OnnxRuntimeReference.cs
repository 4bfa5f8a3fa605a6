using HeadAtlas.Models;
using HeadAtlas.Models.Onnx;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace HeadAtlas.Models.Tests;

/// <summary>
/// The built-in MiniLM run by ONNX Runtime, with each layer's query/key/value bias Add and attention Softmax exposed as
/// extra graph outputs: the independent reference for <see cref="Architectures.Bert"/>. Built once per test run.
/// </summary>
public sealed class OnnxRuntimeReference : IDisposable
{
    private static readonly Lazy<OnnxRuntimeReference> Shared = new(() => new OnnxRuntimeReference());
    public static OnnxRuntimeReference Instance => Shared.Value;

    private readonly InferenceSession _session;

    /// <summary>Per layer, the graph value names of q, k, v (after bias, [1, pos, d_model]) and the softmax ([1, head, q, k]).</summary>
    public IReadOnlyList<(string Q, string K, string V, string Pattern)> LayerOutputs { get; }

    private OnnxRuntimeReference()
    {
        byte[] bytes = MiniLmResources.ReadModelBytes();
        var graph = OnnxGraphReader.Read(bytes, "minilm");
        var layers = new List<(string, string, string, string)>();
        var softmaxes = graph.Nodes.Where(n => n.OpType == "Softmax").Select(n => n.Outputs[0]).ToList();
        for (int l = 0; graph.Constants.ContainsKey($"encoder.layer.{l}.attention.self.query.bias"); l++)
        {
            string AddOutput(string part) => graph.Consumers($"encoder.layer.{l}.attention.self.{part}.bias").Single(n => n.OpType == "Add").Outputs[0];
            layers.Add((AddOutput("query"), AddOutput("key"), AddOutput("value"), softmaxes[l]));
        }
        LayerOutputs = layers;
        var extra = layers.SelectMany(x => new[] { x.Item1, x.Item2, x.Item3, x.Item4 });
        var options = new SessionOptions { IntraOpNumThreads = 1 };
        _session = new InferenceSession(OnnxModelEditor.WithExtraOutputs(bytes, extra), options);
    }

    /// <summary>Every output of one run on one sequence, flattened, by graph value name.</summary>
    public Dictionary<string, float[]> Run(int[] ids)
    {
        int n = ids.Length;
        var inputIds = new DenseTensor<long>(ids.Select(i => (long)i).ToArray(), [1, n]);
        var mask = new DenseTensor<long>(Enumerable.Repeat(1L, n).ToArray(), [1, n]);
        var types = new DenseTensor<long>(new long[n], [1, n]);
        using var results = _session.Run(
        [
            NamedOnnxValue.CreateFromTensor("input_ids", inputIds),
            NamedOnnxValue.CreateFromTensor("attention_mask", mask),
            NamedOnnxValue.CreateFromTensor("token_type_ids", types),
        ]);
        return results.ToDictionary(r => r.Name, r => r.AsEnumerable<float>().ToArray());
    }

    public void Dispose() => _session.Dispose();
}
