using System.Text.Json;
using System.Text.Json.Nodes;
using Apache.Arrow;
using HeadAtlas.Projection;

namespace HeadAtlas.Atlas;

/// <summary>
/// heads/L{l}_H{h}/metrics.json: per-projection measures of one head, e.g.
/// <c>{"faithfulness": {"pca2d": 0.41, "tsne2d": 0.57}}</c> (see docs/run-format.md). Updated after each projection
/// file is written (read, add, temp file, rename), under a process-wide lock since projections of one head may finish
/// on different threads.
/// </summary>
public static class HeadMetrics
{
    public const string File = "metrics.json";
    private static readonly Lock Gate = new();

    /// <summary>Computes the faithfulness of a projection [2N, dims] from the head's attention.arrow and the run's
    /// tokens.arrow, and records it.</summary>
    public static double RecordFaithfulness(string runDir, string headDir, string projection, float[] coords, int n, int dims)
    {
        var (weights, offsets) = ReadAttention(Path.Combine(headDir, "attention.arrow"));
        var tokens = RunReader.ReadTable(Path.Combine(runDir, "tokens.arrow"));
        var position = (Int32Array)tokens.Column("position");
        var sentenceStart = new int[n]; // [n]
        for (int t = 0; t < n; t++) sentenceStart[t] = t - position.GetValue(t)!.Value;
        double value = Faithfulness.MeanSpearman(coords, n, dims, weights, offsets, sentenceStart, IsCausal(weights, offsets, sentenceStart));
        Record(headDir, "faithfulness", projection, value);
        return value;
    }

    /// <summary>Causal when every query gives exactly zero weight to every key after its own position (and some query has such keys).</summary>
    public static bool IsCausal(float[] weights, int[] offsets, int[] sentenceStart)
    {
        bool anyFuture = false;
        for (int t = 0; t + 1 < offsets.Length; t++)
        {
            int pos = t - sentenceStart[t];
            for (int p = pos + 1; p < offsets[t + 1] - offsets[t]; p++)
            {
                anyFuture = true;
                if (weights[offsets[t] + p] != 0) return false;
            }
        }
        return anyFuture;
    }

    public static void Record(string headDir, string metric, string projection, double value)
    {
        string path = Path.Combine(headDir, File);
        lock (Gate)
        {
            var root = System.IO.File.Exists(path) ? JsonNode.Parse(System.IO.File.ReadAllText(path)) as JsonObject ?? new JsonObject() : new JsonObject();
            if (root[metric] is not JsonObject table) root[metric] = table = new JsonObject();
            // NaN (no query with three keys) is stored as null: JSON has no NaN.
            table[projection] = double.IsFinite(value) ? JsonValue.Create(Math.Round(value, 6)) : null;
            var text = root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
            RunWriter.WriteAtomically(path, s => s.Write(System.Text.Encoding.UTF8.GetBytes(text)));
        }
    }

    /// <summary>The measures of one head: metric → projection → value (null when undefined). Empty if none yet.</summary>
    public static Dictionary<string, Dictionary<string, double?>> Read(string headDir)
    {
        string path = Path.Combine(headDir, File);
        if (!System.IO.File.Exists(path)) return [];
        return JsonSerializer.Deserialize<Dictionary<string, Dictionary<string, double?>>>(System.IO.File.ReadAllText(path)) ?? [];
    }

    private static (float[] Weights, int[] Offsets) ReadAttention(string path)
    {
        var list = (ListArray)RunReader.ReadTable(path).Column("weights");
        var offsets = list.ValueOffsets.ToArray(); // [n + 1]
        var values = (FloatArray)list.Values;
        int shift = offsets[0];
        for (int t = 0; t < offsets.Length; t++) offsets[t] -= shift;
        var weights = values.Values.Slice(shift, offsets[^1]).ToArray();
        return (weights, offsets);
    }
}
