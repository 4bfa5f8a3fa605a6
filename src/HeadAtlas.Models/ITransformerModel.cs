using HeadAtlas.Tensors;

namespace HeadAtlas.Models;

/// <summary>A transformer HeadAtlas can run and look inside. One implementation per architecture.</summary>
/// <remarks>
/// Dispose releases the weight files a folder model keeps memory-mapped; afterwards <see cref="Tokenize"/> and
/// <see cref="Forward"/> throw <see cref="ObjectDisposedException"/>. Do not dispose while a forward pass runs.
/// Built-in models are shared by the whole process: disposing one does nothing.
/// </remarks>
public interface ITransformerModel : IDisposable
{
    ModelInfo Info { get; }

    /// <summary>Every hook name this model exposes, e.g. "blocks.0.attn.hook_q".</summary>
    IReadOnlySet<string> HookNames { get; }

    /// <summary>Tokenizes one text, adding the model's special tokens; longer texts are truncated to
    /// <see cref="ModelInfo.MaxPositions"/> and marked <see cref="TokenizedText.Truncated"/>.</summary>
    TokenizedText Tokenize(string text);

    /// <summary>
    /// Runs the model on a batch of sequences of any lengths (no padding: linear layers run on all tokens
    /// at once, attention per sequence). <paramref name="hooks"/>[i] serves sequence i and may be null.
    /// Returns each sequence's final hidden states [pos, d_model].
    /// Throws <see cref="ModelException"/> when a hook set names an unknown hook.
    /// </summary>
    IReadOnlyList<Tensor> Forward(IReadOnlyList<int[]> sequences, IReadOnlyList<HookSet?>? hooks = null);
}
