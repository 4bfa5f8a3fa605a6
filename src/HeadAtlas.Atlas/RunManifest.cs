using System.Text.Json;
using System.Text.Json.Serialization;

namespace HeadAtlas.Atlas;

/// <summary>manifest.json of a run folder (docs/run-format.md).</summary>
public sealed class RunManifest
{
    public const string FormatName = "headatlas-run";
    public const int CurrentVersion = 1;

    public string Format { get; set; } = FormatName;
    public int Version { get; set; } = CurrentVersion;
    public DateTime CreatedUtc { get; set; }
    public ManifestModel Model { get; set; } = new();
    public ManifestCorpus Corpus { get; set; } = new();
    public ManifestSettings Settings { get; set; } = new();
    public List<string> Projections { get; set; } = [];
    public List<ManifestHead> Heads { get; set; } = [];

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static RunManifest FromJson(string json, string source)
    {
        RunManifest? m;
        try { m = JsonSerializer.Deserialize<RunManifest>(json, Json); }
        catch (JsonException e) { throw new BuildInputException($"'{source}' is not a valid run manifest: {e.Message}"); }
        if (m is null || m.Format != FormatName)
            throw new BuildInputException($"'{source}' is not a HeadAtlas run manifest (no \"format\": \"{FormatName}\")");
        if (m.Version != CurrentVersion)
            throw new BuildInputException($"'{source}' is run format version {m.Version}; this HeadAtlas reads version {CurrentVersion}");
        return m;
    }
}

public sealed record ManifestModel
{
    public string Name { get; init; } = "";
    public string Architecture { get; init; } = "";
    public int Layers { get; init; }
    public int Heads { get; init; }
    public int KvHeads { get; init; }
    public int DHead { get; init; }
    public int DModel { get; init; }
    public int MaxPositions { get; init; }
    /// <summary>Patch grid of a vision model's input (its tokens: [CLS], then PatchRows·PatchCols patches row by
    /// row); 0 and left out of the JSON for text models.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public int PatchRows { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public int PatchCols { get; init; }
}

public sealed class ManifestCorpus
{
    public const string TextKind = "text", ImagesKind = "images";

    /// <summary>"text" (a corpus file; also what a manifest without it means) or "images" (an image folder).</summary>
    public string Kind { get; set; } = TextKind;
    public string Source { get; set; } = "";
    public string Sha256 { get; set; } = "";
    public int Sentences { get; set; }
    public int Tokens { get; set; }
    /// <summary>Corpus lines longer than the model's positions, split into several sentences.</summary>
    public int TruncatedSentences { get; set; }
}

public sealed record ManifestSettings
{
    public int Seed { get; init; }
    public int MaxTokens { get; init; }
    public bool KeyTranslation { get; init; }
    public bool ScaleMatching { get; init; }
    /// <summary>"cosine" or "euclidean".</summary>
    public string Metric { get; init; } = "cosine";
    public double Perplexity { get; init; }
    public int TsneIterations { get; init; }
    /// <summary>UMAP settings (runs written before UMAP existed read as the defaults).</summary>
    public int UmapNeighbors { get; init; } = 15;
    public double UmapMinDist { get; init; } = 0.1;
}

public sealed class ManifestHead
{
    public int Layer { get; set; }
    public int Head { get; set; }
    public int KvHead { get; set; }
    /// <summary>Folder of the head's files, relative to the run folder, e.g. "heads/L0_H0".</summary>
    public string Dir { get; set; } = "";

    [JsonIgnore] public string Key => $"L{Layer}_H{Head}";
}
