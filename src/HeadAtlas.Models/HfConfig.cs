using System.Text.Json;

namespace HeadAtlas.Models;

/// <summary>
/// A Hugging Face <c>config.json</c>: typed reads of its fields, each failing with a <see cref="ModelException"/> that
/// names the file and the field (missing, wrong type, out of range).
/// </summary>
public sealed class HfConfig
{
    public const string FileName = "config.json";
    private readonly JsonElement _root;

    public string Path { get; }
    public string ModelType { get; }

    private HfConfig(string path, JsonElement root)
    {
        Path = path;
        _root = root;
        ModelType = String("model_type");
    }

    public static HfConfig Read(string folder)
    {
        string path = System.IO.Path.Combine(folder, FileName);
        if (!File.Exists(path)) throw new ModelException($"{folder}: no {FileName} (a Hugging Face model folder holds config.json and its weights)");
        return Parse(File.ReadAllBytes(path), path);
    }

    public static HfConfig Parse(byte[] json, string path)
    {
        if (json.Length > 10_000_000) throw new ModelException($"{path}: {json.Length} bytes is too large for a config file");
        using var doc = StrictJson.Parse(json, path, maxDepth: 32);
        if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new ModelException($"{path}: expected a JSON object");
        return new HfConfig(path, doc.RootElement.Clone());
    }

    public bool Has(string field) => _root.TryGetProperty(field, out var v) && v.ValueKind != JsonValueKind.Null;

    public string String(string field) =>
        Get(field) is { ValueKind: JsonValueKind.String } v ? v.GetString()! : throw Bad(field, "a string");

    public string? OptionalString(string field) => Has(field) ? String(field) : null;

    /// <summary>A positive integer field (sizes, counts).</summary>
    public int Int(string field)
    {
        var v = Get(field);
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int i) || i <= 0) throw Bad(field, "a positive integer", v);
        return i;
    }

    public int Int(string field, int fallback) => Has(field) ? Int(field) : fallback;

    /// <summary>A token id or other integer that may be 0; null when absent.</summary>
    public int? OptionalId(string field)
    {
        if (!Has(field)) return null;
        var v = Get(field);
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int i) || i < 0) throw Bad(field, "a non-negative integer", v);
        return i;
    }

    /// <summary>The first of several names a field goes by in different model types (e.g. n_embd / hidden_size).</summary>
    public int IntAny(params string[] fields)
    {
        foreach (var f in fields) if (Has(f)) return Int(f);
        throw new ModelException($"{Path}: field '{fields[0]}' is missing" + (fields.Length > 1 ? $" (also looked for {string.Join(", ", fields.Skip(1).Select(f => $"'{f}'"))})" : ""));
    }

    public double Double(string field)
    {
        var v = Get(field);
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out double d) || !double.IsFinite(d)) throw Bad(field, "a number", v);
        return d;
    }

    public double Double(string field, double fallback) => Has(field) ? Double(field) : fallback;

    public bool Bool(string field, bool fallback)
    {
        if (!Has(field)) return fallback;
        var v = Get(field);
        return v.ValueKind switch { JsonValueKind.True => true, JsonValueKind.False => false, _ => throw Bad(field, "true or false", v) };
    }

    /// <summary>A nested object (e.g. rope_scaling), or null when absent.</summary>
    public JsonElement? Object(string field)
    {
        if (!Has(field)) return null;
        var v = Get(field);
        return v.ValueKind == JsonValueKind.Object ? v : throw Bad(field, "an object", v);
    }

    /// <summary>An error about <paramref name="field"/> in this file, for checks that relate several fields.</summary>
    public ModelException Error(string field, string problem) => new($"{Path}: field '{field}' {problem}");

    private JsonElement Get(string field) =>
        _root.TryGetProperty(field, out var v) && v.ValueKind != JsonValueKind.Null ? v : throw new ModelException($"{Path}: field '{field}' is missing");

    private ModelException Bad(string field, string expected, JsonElement? got = null)
    {
        string text = got?.GetRawText() ?? "";
        if (text.Length > 60) text = text[..60] + "...";
        return new ModelException($"{Path}: field '{field}' must be {expected}" + (got is null ? "" : $", found {text}"));
    }
}
