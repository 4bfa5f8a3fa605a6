using System.Text.Json;
using Apache.Arrow;

namespace HeadAtlas.Browser.Tests;

/// <summary>
/// A small synthetic run folder written exactly per docs/run-format.md: 6 layers × 12 heads (as MiniLM), a dozen
/// short sentences, made-up but deterministic vectors, projections and attention (softmax rows). It lets the
/// server and explorer be tested without the model pipeline.
/// </summary>
public static class FixtureRun
{
    public const int Layers = 6, Heads = 12, DHead = 4;

    private static readonly string[] Sentences =
    [
        "the cat sat on the warm mat",
        "a small boat drifted toward the harbor at dawn",
        "she wrote three letters before the rain stopped",
        "our garden grows tomatoes beans and tall sunflowers",
        "the old clock in the hall struck nine",
        "he forgot his keys again this morning",
        "bright lanterns hung along the narrow street",
        "the river froze early that winter",
        "two students argued about the final answer",
        "fresh bread cooled slowly on the kitchen table",
        "the train left the station ten minutes late",
        "wind pushed the clouds across a pale sky",
    ];

    /// <summary>Writes the run into <paramref name="dir"/> (created); tsne2d only for the heads listed;
    /// the sentences repeated <paramref name="repeat"/> times (a larger corpus). <paramref name="planned"/> is the
    /// manifest's projections (default pca2d, tsne2d); pca2d and, when planned, pca3d are written for every head.</summary>
    public static string Write(string dir, IEnumerable<(int Layer, int Head)>? tsneHeads = null, int repeat = 1,
        string[]? planned = null)
    {
        planned ??= ["pca2d", "tsne2d"];
        Directory.CreateDirectory(dir);
        var Sentences = Enumerable.Repeat(FixtureRun.Sentences, repeat).SelectMany(s => s).ToArray();
        var tokens = Tokenize(Sentences);
        int n = tokens.Count;

        // sentences.arrow
        var sentenceIds = Enumerable.Range(0, Sentences.Length).ToArray();
        var length = sentenceIds.Select(s => Sentences[s].Split(' ').Length + 2).ToArray(); // + [CLS], [SEP]
        var first = new int[length.Length];
        for (int s = 1; s < length.Length; s++) first[s] = first[s - 1] + length[s - 1];
        ArrowFiles.Write(Path.Combine(dir, "sentences.arrow"), new RecordBatch.Builder()
            .Append("sentence", false, ArrowFiles.Ints(sentenceIds))
            .Append("text", false, ArrowFiles.Strings(Sentences))
            .Append("source_line", false, ArrowFiles.Ints(sentenceIds.Select(s => s + 1)))
            .Append("first_token", false, ArrowFiles.Ints(first))
            .Append("length", false, ArrowFiles.Ints(length))
            .Append("truncated", false, ArrowFiles.Bools(sentenceIds.Select(_ => false)))
            .Build());

        // tokens.arrow
        ArrowFiles.Write(Path.Combine(dir, "tokens.arrow"), new RecordBatch.Builder()
            .Append("token", false, ArrowFiles.Ints(Enumerable.Range(0, n)))
            .Append("sentence", false, ArrowFiles.Ints(tokens.Select(t => t.Sentence)))
            .Append("position", false, ArrowFiles.Ints(tokens.Select(t => t.Position)))
            .Append("position_norm", false, ArrowFiles.Floats(tokens.Select(t => t.Position / (float)(length[t.Sentence] - 1))))
            .Append("text", false, ArrowFiles.Strings(tokens.Select(t => t.Text)))
            .Append("token_id", false, ArrowFiles.Ints(tokens.Select(t => t.Text.Sum(c => (int)c) % 30000)))
            .Append("is_special", false, ArrowFiles.Bools(tokens.Select(t => t.Text.StartsWith('['))))
            .Append("is_punct", false, ArrowFiles.Bools(tokens.Select(_ => false)))
            .Append("token_length", false, ArrowFiles.Ints(tokens.Select(t => t.Text.Length)))
            .Append("sentence_length", false, ArrowFiles.Ints(tokens.Select(t => length[t.Sentence])))
            .Build());

        var heads = new List<object>();
        for (int l = 0; l < Layers; l++)
        for (int h = 0; h < Heads; h++)
        {
            var headDir = Path.Combine(dir, "heads", $"L{l}_H{h}");
            Directory.CreateDirectory(headDir);
            var rng = new Random(1000 * l + h); // deterministic per head

            float[] Vec() => Enumerable.Range(0, DHead).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
            var q = Enumerable.Range(0, n).Select(_ => Vec()).ToArray();   // [N, dHead]
            var k = Enumerable.Range(0, n).Select(_ => Vec()).ToArray();   // [N, dHead]
            float Norm(float[] v) => MathF.Sqrt(v.Sum(x => x * x));
            ArrowFiles.Write(Path.Combine(headDir, "qk.arrow"), new RecordBatch.Builder()
                .Append("q", false, ArrowFiles.FixedFloatLists(q, DHead))
                .Append("k", false, ArrowFiles.FixedFloatLists(k, DHead))
                .Append("q_norm", false, ArrowFiles.Floats(q.Select(Norm)))
                .Append("k_norm", false, ArrowFiles.Floats(k.Select(Norm)))
                .Build());

            // attention: softmax(q·k / sqrt(d)) over the sentence, sharpened so a few keys stand out
            var weights = new float[n][];
            for (int t = 0; t < n; t++)
            {
                int s0 = first[tokens[t].Sentence], len = length[tokens[t].Sentence];
                var logits = Enumerable.Range(0, len).Select(j => 6.0 * Dot(q[t], k[s0 + j]) / Math.Sqrt(DHead)).ToArray();
                double max = logits.Max();
                var e = logits.Select(x => Math.Exp(x - max)).ToArray();
                double sum = e.Sum();
                weights[t] = e.Select(x => (float)(x / sum)).ToArray();
            }
            ArrowFiles.Write(Path.Combine(headDir, "attention.arrow"), new RecordBatch.Builder()
                .Append("weights", false, ArrowFiles.FloatLists(weights))
                .Build());

            WriteProjection(headDir, "pca2d", n, rng, spread: 1f);
            if (planned.Contains("pca3d"))
                WriteProjection(headDir, "pca3d", n, rng, spread: 1f);
            if (tsneHeads?.Contains((l, h)) == true)
                WriteTsne(dir, l, h);
            heads.Add(new { layer = l, head = h, kvHead = h, dir = $"heads/L{l}_H{h}" });
        }

        var manifest = new
        {
            format = "headatlas-run",
            version = 1,
            createdUtc = "2026-11-25T22:00:00Z",
            model = new { name = "fixture", architecture = "bert", layers = Layers, heads = Heads, kvHeads = Heads, dHead = DHead, dModel = DHead * Heads, maxPositions = 64 },
            corpus = new { source = "fixture", sha256 = "0", sentences = Sentences.Length, tokens = n, truncatedSentences = 0 },
            settings = new { seed = 0, maxTokens = 0, keyTranslation = true, scaleMatching = true, metric = "cosine", perplexity = 30 },
            projections = planned,
            heads,
        };
        File.WriteAllText(Path.Combine(dir, "manifest.json"), JsonSerializer.Serialize(manifest, new JsonSerializerOptions { WriteIndented = true }));
        return dir;
    }

    /// <summary>Adds tsne2d.arrow for one head, as the build does while the server runs.</summary>
    public static void WriteTsne(string dir, int layer, int head)
    {
        int n = ArrowFiles.ReadInts(Path.Combine(dir, "tokens.arrow"), "token").Count;
        WriteProjection(Path.Combine(dir, "heads", $"L{layer}_H{head}"), "tsne2d", n, new Random(7 + 1000 * layer + head), spread: 30f);
    }

    /// <summary>Adds any projection file ({method}{2|3}d) for one head, as the build does while the server runs.</summary>
    public static void WriteProjection(string dir, int layer, int head, string name)
    {
        int n = ArrowFiles.ReadInts(Path.Combine(dir, "tokens.arrow"), "token").Count;
        WriteProjection(Path.Combine(dir, "heads", $"L{layer}_H{head}"), name, n, new Random(name.GetHashCode() + 1000 * layer + head), spread: 10f);
    }

    /// <summary>2N rows: queries around one center, keys around another, uniform noise (z too for a 3D name).</summary>
    private static void WriteProjection(string headDir, string name, int n, Random rng, float spread)
    {
        bool threeD = name.EndsWith("3d");
        var x = new float[2 * n];
        var y = new float[2 * n];
        var z = new float[2 * n];
        for (int i = 0; i < 2 * n; i++)
        {
            float cx = i < n ? -0.6f : 0.6f;
            x[i] = spread * (cx + (float)(rng.NextDouble() - 0.5));
            y[i] = spread * (float)(rng.NextDouble() - 0.5);
            if (threeD) z[i] = spread * (float)(rng.NextDouble() - 0.5);
        }
        var batch = new RecordBatch.Builder()
            .Append("x", false, ArrowFiles.Floats(x))
            .Append("y", false, ArrowFiles.Floats(y));
        if (threeD) batch.Append("z", false, ArrowFiles.Floats(z));
        ArrowFiles.Write(Path.Combine(headDir, $"{name}.arrow"), batch.Build());
    }

    private static double Dot(float[] a, float[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    private sealed record Token(int Sentence, int Position, string Text);

    private static List<Token> Tokenize(string[] Sentences)
    {
        var tokens = new List<Token>();
        for (int s = 0; s < Sentences.Length; s++)
        {
            var words = new[] { "[CLS]" }.Concat(Sentences[s].Split(' ')).Append("[SEP]").ToArray();
            for (int p = 0; p < words.Length; p++)
                tokens.Add(new Token(s, p, words[p]));
        }
        return tokens;
    }
}
