using System.Text.Json;
using System.Text.Unicode;

namespace HeadAtlas.Models;

/// <summary>
/// Parses a model file's JSON, turning every way it can be malformed into one <see cref="ModelException"/> naming the
/// file. UTF-8 is checked up front: JsonDocument only notices a bad byte inside a string when the string is read.
/// </summary>
internal static class StrictJson
{
    public static JsonDocument Parse(ReadOnlySpan<byte> utf8, string source, int maxDepth = 64)
    {
        if (!Utf8.IsValid(utf8)) throw new ModelException($"{source}: not valid UTF-8 text");
        try
        {
            return JsonDocument.Parse(utf8.ToArray(), new JsonDocumentOptions { MaxDepth = maxDepth, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new ModelException($"{source}: not valid JSON ({e.Message})", e);
        }
    }
}
