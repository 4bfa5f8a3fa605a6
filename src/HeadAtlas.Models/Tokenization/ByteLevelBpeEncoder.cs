using Microsoft.ML.Tokenizers;

namespace HeadAtlas.Models.Tokenization;

/// <summary>Byte-level BPE (GPT-2, Qwen2, LLaMA 3) through Microsoft.ML.Tokenizers' BpeTokenizer. Every byte is in such a
/// vocabulary, so no text is out of vocabulary.</summary>
public sealed class ByteLevelBpeEncoder(Tokenizer tokenizer) : IPieceEncoder
{
    public Tokenizer Inner => tokenizer;

    public IReadOnlyList<int> Encode(string text) => tokenizer.EncodeToIds(text);

    /// <summary>The text a token stands for (" whale"); a token holding part of a UTF-8 character shows as &lt;id&gt;.</summary>
    public string[] Display(IReadOnlyList<int> ids) => ids.Select(Display).ToArray();

    private string Display(int id)
    {
        string? text = null;
        try { text = tokenizer.Decode([id]); } catch (ArgumentException) { }
        return string.IsNullOrEmpty(text) || text.Contains('\uFFFD') ? $"<{id}>" : text;
    }
}
