namespace HeadAtlas.Bench;

/// <summary>Our MiniLM forward pass, flattened to [batch, seq, 384] like ONNX Runtime's output.</summary>
internal sealed class OursMiniLm
{
    /// <summary>Null until HeadAtlas.Models has the built-in BERT.</summary>
    public static OursMiniLm? TryCreate() => null;

    public float[] Run(int[][] batch) => throw new NotSupportedException();
}
