using HeadAtlas.Models;

namespace HeadAtlas.Bench;

/// <summary>Our MiniLM forward pass (HeadAtlas.Models' built-in BERT), flattened to [batch, seq, 384] like ONNX Runtime's output.</summary>
internal sealed class OursMiniLm
{
    private readonly ITransformerModel _model = BuiltinModels.Load(BuiltinModels.MiniLm);

    public static OursMiniLm? TryCreate() => new();

    public float[] Run(int[][] batch)
    {
        var outputs = _model.Forward(batch); // each [pos, d_model]
        var flat = new float[outputs.Sum(o => o.Length)];
        int at = 0;
        foreach (var o in outputs) { o.Data.CopyTo(flat, at); at += o.Length; }
        return flat;
    }
}
