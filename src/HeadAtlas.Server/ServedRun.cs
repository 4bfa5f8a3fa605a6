using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace HeadAtlas.Server;

/// <summary>
/// A run folder as docs/run-format.md describes it: checks it once at start, then answers which files exist now
/// (projections appear while the build runs) and resolves request paths without letting them leave the folder.
/// </summary>
public sealed partial class ServedRun
{
    public string Root { get; }
    public IReadOnlyList<HeadEntry> Heads { get; }
    public IReadOnlyList<string> PlannedProjections { get; }

    public sealed record HeadEntry(int Layer, int Head, string Dir)
    {
        public string Key => $"L{Layer}_H{Head}";
    }

    [GeneratedRegex(@"^(pca|tsne|umap)[23]d\.arrow$")]
    private static partial Regex ProjectionFile();

    private ServedRun(string root, IReadOnlyList<HeadEntry> heads, IReadOnlyList<string> projections)
    {
        Root = root;
        Heads = heads;
        PlannedProjections = projections;
    }

    /// <summary>Opens and checks a run folder; throws <see cref="ServerInputException"/> naming what is wrong.</summary>
    public static ServedRun Open(string runDir)
    {
        var root = Path.GetFullPath(runDir);
        if (!Directory.Exists(root))
            throw new ServerInputException($"run folder '{runDir}' does not exist");
        var manifestPath = Path.Combine(root, "manifest.json");
        if (!File.Exists(manifestPath))
            throw new ServerInputException($"'{runDir}' is not a run folder: it has no manifest.json");

        JsonNode manifest;
        try
        {
            manifest = JsonNode.Parse(File.ReadAllText(manifestPath))
                       ?? throw new ServerInputException($"{manifestPath}: empty manifest");
        }
        catch (JsonException e)
        {
            throw new ServerInputException($"{manifestPath}: not valid JSON ({e.Message})", e);
        }

        if (manifest["format"]?.GetValue<string>() != "headatlas-run")
            throw new ServerInputException($"{manifestPath}: field 'format' must be \"headatlas-run\"");
        if (manifest["version"]?.GetValue<int>() != 1)
            throw new ServerInputException($"{manifestPath}: field 'version' must be 1 (this server reads format version 1)");
        if (manifest["heads"] is not JsonArray headsJson || headsJson.Count == 0)
            throw new ServerInputException($"{manifestPath}: field 'heads' must be a non-empty array");

        var heads = new List<HeadEntry>();
        for (int i = 0; i < headsJson.Count; i++)
        {
            var h = headsJson[i];
            int? layer = h?["layer"]?.GetValue<int>(), head = h?["head"]?.GetValue<int>();
            var dir = h?["dir"]?.GetValue<string>();
            if (layer is null || head is null || dir is null)
                throw new ServerInputException($"{manifestPath}: heads[{i}] needs 'layer', 'head' and 'dir'");
            heads.Add(new HeadEntry(layer.Value, head.Value, dir));
        }

        var projections = (manifest["projections"] as JsonArray)?.Select(p => p!.GetValue<string>()).ToList() ?? [];
        foreach (var required in new[] { "sentences.arrow", "tokens.arrow" })
            if (!File.Exists(Path.Combine(root, required)))
                throw new ServerInputException($"run folder '{runDir}' is missing {required}");
        return new ServedRun(root, heads, projections);
    }

    /// <summary>manifest.json as stored, plus "ready": per head, the projection files present now.</summary>
    public JsonObject ManifestWithReady()
    {
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(Root, "manifest.json")))!.AsObject();
        var ready = new JsonObject();
        foreach (var head in Heads)
        {
            var dir = Path.Combine(Root, head.Dir);
            var present = Directory.Exists(dir)
                ? Directory.EnumerateFiles(dir).Select(Path.GetFileName).Where(n => ProjectionFile().IsMatch(n!))
                    .Select(n => Path.GetFileNameWithoutExtension(n)!).ToHashSet()
                : [];
            // Planned order first (PCA before t-SNE), then anything else found.
            var ordered = PlannedProjections.Where(present.Contains).Concat(present.Except(PlannedProjections).Order());
            ready[head.Key] = new JsonArray(ordered.Select(p => (JsonNode)JsonValue.Create(p)!).ToArray());
        }
        manifest["ready"] = ready;
        manifest["metrics"] = ReadMetrics();
        return manifest;
    }

    /// <summary>Every head's metrics.json as stored (e.g. {"faithfulness": {"pca2d": 0.41}}), by head key; heads
    /// without one (yet) are left out. The explorer reads faithfulness here: one request for all heads, re-read at
    /// every manifest poll, and no 404 for a head whose first projection is still being measured.</summary>
    private JsonObject ReadMetrics()
    {
        var metrics = new JsonObject();
        foreach (var head in Heads)
        {
            var path = Path.Combine(Root, head.Dir, "metrics.json");
            if (!File.Exists(path)) continue;
            try
            {
                if (JsonNode.Parse(File.ReadAllText(path)) is JsonObject table) metrics[head.Key] = table;
            }
            catch (Exception e) when (e is JsonException or IOException)
            {
                // Written by rename, so never half-written; a file removed or replaced between the two calls
                // just waits for the next poll.
            }
        }
        return metrics;
    }

    /// <summary>
    /// The full path of a file inside the run for a request path like "heads/L0_H0/pca2d.arrow", or null when the
    /// path would leave the run folder (absolute, "..", or any other escape).
    /// </summary>
    public string? ResolveInside(string relative)
    {
        if (string.IsNullOrWhiteSpace(relative) || Path.IsPathRooted(relative) || relative.Contains('\\')
            || relative.Contains('\0'))
            return null;
        if (relative.Split('/').Any(part => part is ".." or "." or ""))
            return null;
        var full = Path.GetFullPath(Path.Combine(Root, relative));
        var rootWithSep = Root.EndsWith(Path.DirectorySeparatorChar) ? Root : Root + Path.DirectorySeparatorChar;
        return full.StartsWith(rootWithSep, StringComparison.Ordinal) ? full : null;
    }

    public HeadEntry? FindHead(int layer, int head) => Heads.FirstOrDefault(h => h.Layer == layer && h.Head == head);
}
