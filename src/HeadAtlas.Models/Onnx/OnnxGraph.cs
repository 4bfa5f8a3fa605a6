namespace HeadAtlas.Models.Onnx;

/// <summary>
/// The parts of an ONNX model HeadAtlas reads: named constant tensors (initializers and Constant nodes), the
/// operator nodes, and the graph's input and output names. Lets a weight mapper follow the data flow, e.g. from a
/// bias's Add node back to the MatMul that holds the weight matrix.
/// </summary>
public sealed class OnnxGraph
{
    private readonly Dictionary<string, OnnxNode> _producers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<OnnxNode>> _consumers = new(StringComparer.Ordinal);

    public OnnxGraph(string source, Dictionary<string, OnnxTensor> constants, List<OnnxNode> nodes, List<string> inputs, List<string> outputs)
    {
        Source = source;
        Constants = constants;
        Nodes = nodes;
        Inputs = inputs;
        Outputs = outputs;
        foreach (var node in nodes)
        {
            foreach (var o in node.Outputs) _producers[o] = node;
            foreach (var i in node.Inputs)
            {
                if (!_consumers.TryGetValue(i, out var list)) _consumers[i] = list = [];
                list.Add(node);
            }
        }
    }

    /// <summary>File or resource the graph came from (for error messages).</summary>
    public string Source { get; }

    /// <summary>Initializers and the values of Constant nodes, by the value name they define.</summary>
    public IReadOnlyDictionary<string, OnnxTensor> Constants { get; }

    public IReadOnlyList<OnnxNode> Nodes { get; }

    /// <summary>Graph inputs that are not initializers (e.g. input_ids, attention_mask).</summary>
    public IReadOnlyList<string> Inputs { get; }

    public IReadOnlyList<string> Outputs { get; }

    /// <summary>The node whose output is <paramref name="value"/>, or null for graph inputs and initializers.</summary>
    public OnnxNode? Producer(string value) => _producers.GetValueOrDefault(value);

    /// <summary>Nodes that read <paramref name="value"/>.</summary>
    public IReadOnlyList<OnnxNode> Consumers(string value) =>
        _consumers.TryGetValue(value, out var list) ? list : [];

    /// <summary>The constant named <paramref name="name"/>, or a <see cref="ModelException"/> naming the file.</summary>
    public OnnxTensor Constant(string name) =>
        Constants.TryGetValue(name, out var t) ? t : throw new ModelException($"{Source}: no initializer named '{name}'");
}
