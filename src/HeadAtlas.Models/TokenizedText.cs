namespace HeadAtlas.Models;

/// <summary>One text as the model sees it: ids and their display strings, special tokens included.</summary>
/// <param name="Tokens">Display text of each token ("[CLS]", "whale", "##s").</param>
/// <param name="IsSpecial">True for tokens the tokenizer added ([CLS], [SEP], &lt;s&gt;, ...).</param>
/// <param name="Truncated">True when the text was longer than the model's positions and was cut.</param>
public sealed record TokenizedText(int[] Ids, string[] Tokens, bool[] IsSpecial, bool Truncated);
