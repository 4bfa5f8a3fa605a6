namespace HeadAtlas.Models.Onnx;

/// <summary>
/// Finds the weight matrix of a linear layer in an exported graph, starting from its bias initializer (the one
/// name PyTorch's exporter reliably keeps). Two export shapes are understood:
/// <list type="bullet">
/// <item><c>Add(bias, MatMul(x, W))</c>, W a constant [in, out] (often named like "onnx::MatMul_927");</item>
/// <item><c>Gemm(x, W, bias)</c>, W [in, out], or [out, in] with transB = 1.</item>
/// </list>
/// </summary>
public static class OnnxLinearLookup
{
    /// <summary>Returns W as [in, out] row-major, and its in/out sizes.</summary>
    public static (float[] Weight, int In, int Out) WeightOf(OnnxGraph graph, string biasName)
    {
        var bias = graph.Constant(biasName);
        foreach (var node in graph.Consumers(biasName))
        {
            if (node.OpType == "Add")
            {
                string other = node.Inputs[0] == biasName ? node.Inputs[1] : node.Inputs[0];
                if (graph.Producer(other) is { OpType: "MatMul" } matMul && ConstantInput(graph, matMul, 1) is { } w && w.Dims.Length == 2)
                    return Checked(graph, biasName, w, w.Data, (int)w.Dims[0], (int)w.Dims[1], bias.Data.Length);
            }
            else if (node.OpType == "Gemm" && node.Inputs.Length >= 3 && node.Inputs[2] == biasName
                     && ConstantInput(graph, node, 1) is { } g && g.Dims.Length == 2)
            {
                bool transB = node.Attributes.TryGetValue("transB", out var t) && t.Int == 1;
                if (!transB) return Checked(graph, biasName, g, g.Data, (int)g.Dims[0], (int)g.Dims[1], bias.Data.Length);
                int outDim = (int)g.Dims[0], inDim = (int)g.Dims[1];
                return Checked(graph, biasName, g, Transpose(g.Data, outDim, inDim), inDim, outDim, bias.Data.Length);
            }
        }
        throw new ModelException($"{graph.Source}: cannot find the weight matrix of the linear layer with bias '{biasName}' (expected Add(bias, MatMul(x, W)) or Gemm(x, W, bias))");
    }

    /// <summary>The tensor at <paramref name="index"/> of a node's inputs if it is a constant, else the other input if
    /// that one is (MatMul(W, x) is rare but legal).</summary>
    private static OnnxTensor? ConstantInput(OnnxGraph graph, OnnxNode node, int index)
    {
        if (graph.Constants.TryGetValue(node.Inputs[index], out var t)) return t;
        return node.OpType == "MatMul" && graph.Constants.TryGetValue(node.Inputs[1 - index], out var u) ? u : null;
    }

    private static (float[], int, int) Checked(OnnxGraph graph, string biasName, OnnxTensor w, float[] data, int inDim, int outDim, int biasLength)
    {
        if (outDim != biasLength)
            throw new ModelException($"{graph.Source}: weight '{w.Name}' [{string.Join(", ", w.Dims)}] does not match bias '{biasName}' of length {biasLength}");
        return (data, inDim, outDim);
    }

    private static float[] Transpose(float[] a, int rows, int cols)
    {
        var t = new float[a.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c];
        return t;
    }
}
