using System.Text.RegularExpressions;

namespace HeadAtlas.Models;

/// <summary>Lists hook names readably: per-layer names folded into one pattern, e.g. "blocks.{l}.attn.hook_q (l = 0..5)".</summary>
public static partial class HookNameGroups
{
    [GeneratedRegex(@"^blocks\.(\d+)\.")]
    private static partial Regex LayerPrefix();

    /// <summary>Model-wide names first (sorted), then one entry per per-layer pattern, in layer order of first appearance.</summary>
    public static IReadOnlyList<string> Patterns(IEnumerable<string> names)
    {
        var global = new List<string>();
        var perLayer = new Dictionary<string, SortedSet<int>>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var m = LayerPrefix().Match(name);
            if (!m.Success) { global.Add(name); continue; }
            string pattern = "blocks.{l}." + name[m.Length..];
            if (!perLayer.TryGetValue(pattern, out var layers)) perLayer[pattern] = layers = [];
            layers.Add(int.Parse(m.Groups[1].Value));
        }
        global.Sort(StringComparer.Ordinal);
        return [.. global, .. perLayer.Keys.Order(StringComparer.Ordinal).Select(p => $"{p} ({LayerRange(perLayer[p])})")];
    }

    public static string Describe(IEnumerable<string> names) => string.Join(", ", Patterns(names));

    private static string LayerRange(SortedSet<int> layers) =>
        layers.Count == layers.Max - layers.Min + 1 ? $"l = {layers.Min}..{layers.Max}" : $"l in {string.Join(",", layers)}";
}
