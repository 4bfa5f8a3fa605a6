using HeadAtlas.Models.Onnx;
using HeadAtlas.Models.Tokenization;

namespace HeadAtlas.Models.Architectures;

/// <summary>
/// Maps a BERT graph exported from Hugging Face (PyTorch → ONNX) onto <see cref="BertWeights"/>. Relies only on the
/// initializer names HF gives biases and norms ("encoder.layer.{l}.attention.self.query.bias", ...) and on the
/// graph's data flow for everything else (weight matrices, head count, layer-norm epsilon).
/// </summary>
public static class BertOnnxLoader
{
    private const string Embeddings = "embeddings.";

    /// <summary>A runnable BERT from an exported .onnx file and its WordPiece vocab.txt.</summary>
    public static Bert LoadModel(string onnxPath, string vocabPath, bool lowerCase = true)
    {
        var weights = Load(OnnxGraphReader.Read(onnxPath));
        using var vocab = OpenVocab(vocabPath);
        var tokenizer = BertTextTokenizer.FromVocab(vocab, vocabPath, lowerCase, weights.MaxPositions);
        return new Bert(Path.GetFileNameWithoutExtension(onnxPath), weights, tokenizer);
    }

    private static FileStream OpenVocab(string path)
    {
        try { return File.OpenRead(path); }
        catch (IOException e) { throw new ModelException($"{path}: cannot read the vocabulary: {e.Message}", e); }
    }

    public static BertWeights Load(OnnxGraph g)
    {
        string prefix = FindPrefix(g);
        var word = g.Constant(prefix + Embeddings + "word_embeddings.weight");
        var pos = g.Constant(prefix + Embeddings + "position_embeddings.weight");
        var tokenTypes = g.Constant(prefix + Embeddings + "token_type_embeddings.weight");
        if (word.Dims.Length != 2) throw new ModelException($"{g.Source}: '{word.Name}' should be [vocab, d_model], is [{string.Join(", ", word.Dims)}]");
        int d = (int)word.Dims[1];

        int layerCount = 0;
        while (g.Constants.ContainsKey(LayerName(prefix, layerCount, "attention.self.query.bias"))) layerCount++;
        if (layerCount == 0) throw new ModelException($"{g.Source}: no '{LayerName(prefix, 0, "attention.self.query.bias")}' initializer: not a BERT encoder export");

        var (heads, dHead) = FindHeads(g, LayerName(prefix, 0, "attention.self.query.bias"), d);
        var layers = new BertLayerWeights[layerCount];
        int dMlp = 0;
        for (int l = 0; l < layerCount; l++)
        {
            float[] Bias(string part) => Vector(g, LayerName(prefix, l, part), null);
            float[] Norm(string part) => Vector(g, LayerName(prefix, l, part), d);
            float[] Linear(string biasPart, int inDim, int? outDim)
            {
                var (w, i, o) = OnnxLinearLookup.WeightOf(g, LayerName(prefix, l, biasPart));
                if (i != inDim || (outDim is { } od && o != od))
                    throw new ModelException($"{g.Source}: layer {l} '{biasPart}' weight is [{i}, {o}], expected [{inDim}, {(outDim?.ToString() ?? "?")}]");
                return w;
            }

            var wq = Linear("attention.self.query.bias", d, d);
            var wk = Linear("attention.self.key.bias", d, d);
            var wv = Linear("attention.self.value.bias", d, d);
            var b1 = Bias("intermediate.dense.bias");
            dMlp = b1.Length;
            layers[l] = new BertLayerWeights
            {
                Wqkv = ConcatColumns(d, d, wq, wk, wv),
                Bqkv = [.. Bias("attention.self.query.bias"), .. Bias("attention.self.key.bias"), .. Bias("attention.self.value.bias")],
                Wo = Linear("attention.output.dense.bias", d, d),
                Bo = Bias("attention.output.dense.bias"),
                Ln1Gamma = Norm("attention.output.LayerNorm.weight"),
                Ln1Beta = Norm("attention.output.LayerNorm.bias"),
                W1 = Linear("intermediate.dense.bias", d, dMlp),
                B1 = b1,
                W2 = Linear("output.dense.bias", dMlp, d),
                B2 = Bias("output.dense.bias"),
                Ln2Gamma = Norm("output.LayerNorm.weight"),
                Ln2Beta = Norm("output.LayerNorm.bias"),
            };
        }

        return new BertWeights
        {
            DModel = d,
            Heads = heads,
            DHead = dHead,
            DMlp = dMlp,
            LayerNormEps = FindLayerNormEps(g, prefix + Embeddings + "LayerNorm.weight"),
            WordEmbeddings = word.Data,
            PositionEmbeddings = Matrix(g, pos, d),
            TokenTypeEmbeddings = Matrix(g, tokenTypes, d),
            EmbedLnGamma = Vector(g, prefix + Embeddings + "LayerNorm.weight", d),
            EmbedLnBeta = Vector(g, prefix + Embeddings + "LayerNorm.bias", d),
            Layers = layers,
        };
    }

    private static string LayerName(string prefix, int layer, string part) => $"{prefix}encoder.layer.{layer}.{part}";

    /// <summary>HF exports of BertModel name weights "embeddings..."; of task models (e.g. BertForMaskedLM) "bert.embeddings...".</summary>
    private static string FindPrefix(OnnxGraph g)
    {
        foreach (string p in new[] { "", "bert.", "model." })
            if (g.Constants.ContainsKey(p + Embeddings + "word_embeddings.weight")) return p;
        throw new ModelException($"{g.Source}: no 'embeddings.word_embeddings.weight' initializer: not a BERT export from Hugging Face");
    }

    private static float[] Vector(OnnxGraph g, string name, int? length)
    {
        var t = g.Constant(name);
        if (length is { } n && t.Data.Length != n)
            throw new ModelException($"{g.Source}: '{name}' has {t.Data.Length} values, expected {n}");
        return t.Data;
    }

    private static float[] Matrix(OnnxGraph g, OnnxTensor t, int columns)
    {
        if (t.Dims.Length != 2 || t.Dims[1] != columns)
            throw new ModelException($"{g.Source}: '{t.Name}' should be [rows, {columns}], is [{string.Join(", ", t.Dims)}]");
        return t.Data;
    }

    /// <summary>[rows, a] ++ [rows, b] ++ ... side by side → [rows, a + b + ...].</summary>
    private static float[] ConcatColumns(int rows, int cols, params float[][] parts)
    {
        int width = cols * parts.Length;
        var result = new float[rows * width]; // [rows, parts·cols]
        for (int r = 0; r < rows; r++)
            for (int p = 0; p < parts.Length; p++)
                Array.Copy(parts[p], r * cols, result, r * width + p * cols, cols);
        return result;
    }

    /// <summary>
    /// The head count is not in any weight's shape: read it from the Reshape that splits the query into heads,
    /// whose target shape is [batch, pos, heads, d_head] (a constant, or a Concat whose last two parts are constants).
    /// </summary>
    private static (int Heads, int DHead) FindHeads(OnnxGraph g, string queryBias, int d)
    {
        foreach (var add in g.Consumers(queryBias))
            foreach (var reshape in add.Outputs.SelectMany(g.Consumers).Where(n => n.OpType == "Reshape"))
            {
                var dims = ShapeValues(g, reshape.Inputs[1]);
                if (dims is { Count: >= 2 } && dims[^2] > 0 && dims[^1] > 0 && dims[^2] * dims[^1] == d)
                    return ((int)dims[^2], (int)dims[^1]);
            }
        throw new ModelException($"{g.Source}: cannot tell the number of attention heads (no Reshape of the query into [.., heads, d_head] after '{queryBias}')");
    }

    private static List<long>? ShapeValues(OnnxGraph g, string value)
    {
        if (g.Constants.TryGetValue(value, out var t)) return t.Data.Select(v => (long)v).ToList();
        if (g.Producer(value) is { OpType: "Concat" } concat)
        {
            var parts = new List<long>();
            foreach (var input in concat.Inputs)
                if (g.Constants.TryGetValue(input, out var c)) parts.AddRange(c.Data.Select(v => (long)v));
                else parts.Add(-1); // computed at run time (batch, pos)
            return parts;
        }
        return null;
    }

    /// <summary>
    /// Epsilon of the layer norm whose scale is <paramref name="gammaName"/>: a LayerNormalization node's attribute, or,
    /// when the exporter spelled the norm out, the constant in Mul(Div(x − mean, Sqrt(var + eps)), gamma).
    /// Falls back to BERT's 1e-12.
    /// </summary>
    private static float FindLayerNormEps(OnnxGraph g, string gammaName)
    {
        foreach (var node in g.Consumers(gammaName))
        {
            if (node.OpType == "LayerNormalization")
                return node.Attributes.TryGetValue("epsilon", out var e) && e.Float is { } eps ? eps : 1e-5f;
            if (node.OpType != "Mul") continue;
            string other = node.Inputs[0] == gammaName ? node.Inputs[1] : node.Inputs[0];
            if (g.Producer(other) is { OpType: "Div" } div && g.Producer(div.Inputs[1]) is { OpType: "Sqrt" } sqrt
                && g.Producer(sqrt.Inputs[0]) is { OpType: "Add" } add)
                foreach (var input in add.Inputs)
                    if (g.Constants.TryGetValue(input, out var c) && c.Data.Length == 1) return c.Data[0];
        }
        return 1e-12f;
    }
}
