namespace HeadAtlas.Models.Architectures;

/// <summary>The weights of a BERT encoder, laid out for <see cref="Bert"/>: every matrix [in, out], row-major.</summary>
public sealed class BertWeights
{
    public required int DModel { get; init; }
    public required int Heads { get; init; }
    public required int DHead { get; init; }
    public required int DMlp { get; init; }
    public required float LayerNormEps { get; init; }

    public required float[] WordEmbeddings { get; init; }      // [vocab, d_model]
    public required float[] PositionEmbeddings { get; init; }  // [max_pos, d_model]
    public required float[] TokenTypeEmbeddings { get; init; } // [types, d_model]
    public required float[] EmbedLnGamma { get; init; }        // [d_model]
    public required float[] EmbedLnBeta { get; init; }         // [d_model]
    public required BertLayerWeights[] Layers { get; init; }

    public int VocabSize => WordEmbeddings.Length / DModel;
    public int MaxPositions => PositionEmbeddings.Length / DModel;
}

/// <summary>One post-norm encoder layer.</summary>
public sealed class BertLayerWeights
{
    /// <summary>Query, key and value projections side by side so one GEMM computes all three.</summary>
    public required float[] Wqkv { get; init; }  // [d_model, 3·d_model]: columns [q | k | v], each [head, d_head]
    public required float[] Bqkv { get; init; }  // [3·d_model]
    public required float[] Wo { get; init; }    // [d_model, d_model] (input is z as [head·d_head])
    public required float[] Bo { get; init; }    // [d_model]
    public required float[] Ln1Gamma { get; init; } // [d_model] (after attention: "attention.output.LayerNorm")
    public required float[] Ln1Beta { get; init; }  // [d_model]
    public required float[] W1 { get; init; }    // [d_model, d_mlp]
    public required float[] B1 { get; init; }    // [d_mlp]
    public required float[] W2 { get; init; }    // [d_mlp, d_model]
    public required float[] B2 { get; init; }    // [d_model]
    public required float[] Ln2Gamma { get; init; } // [d_model] (after the MLP: "output.LayerNorm")
    public required float[] Ln2Beta { get; init; }  // [d_model]
}
