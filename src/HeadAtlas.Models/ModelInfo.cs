namespace HeadAtlas.Models;

/// <summary>What the rest of HeadAtlas needs to know about a model's shape.</summary>
/// <param name="Name">"minilm" for the built-in, else the folder or file it came from.</param>
/// <param name="Architecture">"bert", "gpt2", "vit" or "llama".</param>
/// <param name="KvHeads">Key/value heads (fewer than <paramref name="Heads"/> under grouped-query attention).</param>
/// <param name="MaxPositions">Longest input, in tokens, including special tokens.</param>
public sealed record ModelInfo(
    string Name,
    string Architecture,
    int Layers,
    int Heads,
    int KvHeads,
    int DHead,
    int DModel,
    int MaxPositions);
