using System.Text.Json;

namespace HeadAtlas.Models;

/// <summary>
/// Runs a model on one text and writes the chosen hooks' activations as JSON:
/// <c>{"model": ..., "tokens": [str...], "ids": [int...], "truncated": bool,
/// "activations": {"HOOK": {"shape": [...], "data": [floats, row-major]}}}</c>. In <c>hook_attn_scores</c> of a causal
/// model, a masked entry (a key after the query, or outside a sliding window: −∞ in the tensor) is <c>null</c>.
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
        return (tokens, Capture(model, tokens, hooks));
    }

    /// <summary>Runs <paramref name="model"/> on tokens already made and returns the captured hooks.</summary>
    public static IReadOnlyDictionary<string, Tensors.Tensor> Capture(ITransformerModel model, TokenizedText tokens, IReadOnlyList<string> hooks)
    {
        CheckHooks(model, hooks);
        var set = new HookSet().Capture(hooks);
        model.Forward([tokens.Ids], [set]);
        return set.Captured;
    }

    /// <summary>Writes the JSON to <paramref name="outPath"/> through a temporary file, so a failure leaves no partial file.</summary>
    public static void Write(ITransformerModel model, string text, IReadOnlyList<string> hooks, string outPath)
    {
        CheckHooks(model, hooks);
        Write(model, model.Tokenize(text), hooks, outPath);
    }

    /// <summary>As <see cref="Write(ITransformerModel, string, IReadOnlyList{string}, string)"/>, for tokens already made.</summary>
    public static void Write(ITransformerModel model, TokenizedText tokens, IReadOnlyList<string> hooks, string outPath)
    {
        var activations = Capture(model, tokens, hooks);
        WriteJson(outPath, model.Info.Name, imagePath: null, tokens.Tokens, tokens.Ids, tokens.Truncated, hooks, activations);
    }

    /// <summary>Hooks whose −∞ entries are masked positions, written as null.</summary>
    public const string MaskableHook = "hook_attn_scores";

    /// <summary>"[h, q, k]" of flat element <paramref name="flat"/> of a row-major tensor.</summary>
    private static string Index(int[] shape, int flat)
    {
        var index = new int[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            index[d] = flat % shape[d];
            flat /= shape[d];
        }
        return $"[{string.Join(", ", index)}]";
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
                    // A causal model's masked attention scores are −∞ (TransformerLens's convention); JSON has no −∞,
                    // so they are written as null. Any other non-finite value means a broken model or input.
                    bool maskable = hook.EndsWith(MaskableHook, StringComparison.Ordinal);
                    var data = tensor.Data;
                    for (int i = 0; i < data.Length; i++)
                    {
                        float v = data[i];
                        if (float.IsFinite(v)) json.WriteNumberValue(v); // shortest text that reads back as the same float
                        else if (maskable && float.IsNegativeInfinity(v)) json.WriteNullValue();
                        else throw new ModelException(
                            $"hook '{hook}' holds {v} at {Index(tensor.Shape, i)}, which JSON cannot carry: the model gives non-finite activations for this input (check its weights)");
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
