using System.Text.Json;

namespace HeadAtlas.Models;

/// <summary>
/// Runs a model on one text and writes the chosen hooks' activations as JSON:
/// <c>{"model": ..., "tokens": [str...], "ids": [int...], "truncated": bool,
/// "activations": {"HOOK": {"shape": [...], "data": [floats, row-major]}}}</c>.
/// Behind the CLI's <c>activations</c> command.
/// </summary>
public static class ActivationExport
{
    /// <summary>"a, b,c" → ["a", "b", "c"].</summary>
    public static IReadOnlyList<string> ParseHookList(string list)
    {
        var hooks = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal).ToList();
        if (hooks.Count == 0) throw new ModelException("--hooks names no hook (give a comma-separated list, e.g. blocks.0.attn.hook_q,blocks.0.attn.hook_k)");
        return hooks;
    }

    /// <summary>Throws a <see cref="ModelException"/> naming every hook the model lacks and listing the ones it has.</summary>
    public static void CheckHooks(ITransformerModel model, IEnumerable<string> hooks)
    {
        var unknown = hooks.Where(h => !model.HookNames.Contains(h)).ToList();
        if (unknown.Count == 0) return;
        throw new ModelException(
            $"unknown hook{(unknown.Count > 1 ? "s" : "")} {string.Join(", ", unknown.Select(u => $"'{u}'"))} for model {model.Info.Name}. Valid hooks:\n  "
            + string.Join("\n  ", HookNameGroups.Patterns(model.HookNames)));
    }

    /// <summary>Runs <paramref name="model"/> on <paramref name="text"/> and returns the tokenization and the captured hooks.</summary>
    public static (TokenizedText Tokens, IReadOnlyDictionary<string, Tensors.Tensor> Activations) Capture(ITransformerModel model, string text, IReadOnlyList<string> hooks)
    {
        CheckHooks(model, hooks);
        var tokens = model.Tokenize(text);
        var set = new HookSet().Capture(hooks);
        model.Forward([tokens.Ids], [set]);
        return (tokens, set.Captured);
    }

    /// <summary>Writes the JSON to <paramref name="outPath"/> through a temporary file, so a failure leaves no partial file.</summary>
    public static void Write(ITransformerModel model, string text, IReadOnlyList<string> hooks, string outPath)
    {
        var (tokens, activations) = Capture(model, text, hooks);
        WriteJson(outPath, model.Info.Name, imagePath: null, tokens.Tokens, tokens.Ids, tokens.Truncated, hooks, activations);
    }

    /// <summary>The one writer of the activations JSON (text and image inputs), through a temporary file then rename.
    /// <paramref name="imagePath"/>, when given, is recorded as "image".</summary>
    internal static void WriteJson(string outPath, string modelName, string? imagePath, IEnumerable<string> tokens, IEnumerable<int> ids,
        bool truncated, IReadOnlyList<string> hooks, IReadOnlyDictionary<string, Tensors.Tensor> activations)
    {
        string full = Path.GetFullPath(outPath);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string temp = $"{full}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            using (var json = new Utf8JsonWriter(stream))
            {
                json.WriteStartObject();
                json.WriteString("model", modelName);
                if (imagePath is not null) json.WriteString("image", Path.GetFullPath(imagePath));
                json.WriteStartArray("tokens");
                foreach (var t in tokens) json.WriteStringValue(t);
                json.WriteEndArray();
                json.WriteStartArray("ids");
                foreach (var id in ids) json.WriteNumberValue(id);
                json.WriteEndArray();
                json.WriteBoolean("truncated", truncated);
                json.WriteStartObject("activations");
                foreach (var hook in hooks)
                {
                    var tensor = activations[hook];
                    json.WriteStartObject(hook);
                    json.WriteStartArray("shape");
                    foreach (int d in tensor.Shape) json.WriteNumberValue(d);
                    json.WriteEndArray();
                    json.WriteStartArray("data");
                    foreach (float v in tensor.Data)
                    {
                        if (!float.IsFinite(v)) throw new ModelException($"hook '{hook}' holds a non-finite value ({v}), which JSON cannot carry");
                        json.WriteNumberValue(v); // shortest text that reads back as the same float
                    }
                    json.WriteEndArray();
                    json.WriteEndObject();
                }
                json.WriteEndObject();
                json.WriteEndObject();
            }
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
