using System.Text.Json;
using Apache.Arrow;

namespace HeadAtlas.Browser.Tests;

/// <summary>
/// An image run (docs/run-format.md, "Image runs") over <see cref="TestImages"/>: 2 layers × 4 heads, a 4 × 4 patch
/// grid, so 17 tokens per image ([CLS], then patches row by row). Written here with the Arrow writer, following the
/// contract, with made-up but deterministic vectors, attention and projections.
/// </summary>
public static class ImageRun
{
    public const int Layers = 2, Heads = 4, Rows = 4, Cols = 4, DHead = 8;
    public const int Tokens = 1 + Rows * Cols;

    /// <summary>Writes the images to PARENT/images and the run to PARENT/run; returns the run folder.</summary>
    public static string Build(string parent)
    {
        var folder = Path.Combine(parent, "images");
        TestImages.Write(folder);
        var dir = Path.Combine(parent, "run");
        Directory.CreateDirectory(dir);
        var images = TestImages.All.OrderBy(i => i.Path, StringComparer.Ordinal).ToArray();
        int count = images.Length, n = count * Tokens;

        ArrowFiles.Write(Path.Combine(dir, "sentences.arrow"), new RecordBatch.Builder()
            .Append("sentence", false, ArrowFiles.Ints(Enumerable.Range(0, count)))
            .Append("text", false, ArrowFiles.Strings(images.Select(i => i.Path)))
            .Append("source_line", false, ArrowFiles.Ints(Enumerable.Range(1, count)))
            .Append("first_token", false, ArrowFiles.Ints(Enumerable.Range(0, count).Select(i => i * Tokens)))
            .Append("length", false, ArrowFiles.Ints(Enumerable.Repeat(Tokens, count)))
            .Append("truncated", false, ArrowFiles.Bools(Enumerable.Repeat(false, count)))
            .Build());

        // Per token: image, patch row/col (−1 for [CLS]) and the mean colour of its pixels.
        var tok = new List<(int Image, int Pos, int Row, int Col, float R, float G, float B, float Luma)>();
        for (int im = 0; im < count; im++)
        for (int pos = 0; pos < Tokens; pos++)
        {
            int row = pos == 0 ? -1 : (pos - 1) / Cols, col = pos == 0 ? -1 : (pos - 1) % Cols;
            int px = TestImages.Size / Cols, py = TestImages.Size / Rows;
            int x0 = pos == 0 ? 0 : col * px, x1 = pos == 0 ? TestImages.Size : x0 + px;
            int y0 = pos == 0 ? 0 : row * py, y1 = pos == 0 ? TestImages.Size : y0 + py;
            double r = 0, g = 0, b = 0, luma = 0, m = (x1 - x0) * (y1 - y0);
            for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++)
            {
                var c = images[im].Pixel(x, y);
                r += c.Red / 255.0; g += c.Green / 255.0; b += c.Blue / 255.0;
                luma += (0.299 * c.Red + 0.587 * c.Green + 0.114 * c.Blue) / 255.0;
            }
            tok.Add((im, pos, row, col, (float)(r / m), (float)(g / m), (float)(b / m), (float)(luma / m)));
        }
        var hsv = tok.Select(t => Hsv(t.R, t.G, t.B)).ToArray();
        ArrowFiles.Write(Path.Combine(dir, "tokens.arrow"), new RecordBatch.Builder()
            .Append("token", false, ArrowFiles.Ints(Enumerable.Range(0, n)))
            .Append("sentence", false, ArrowFiles.Ints(tok.Select(t => t.Image)))
            .Append("position", false, ArrowFiles.Ints(tok.Select(t => t.Pos)))
            .Append("position_norm", false, ArrowFiles.Floats(tok.Select(t => t.Pos / (float)(Tokens - 1))))
            .Append("text", false, ArrowFiles.Strings(tok.Select(t => t.Pos == 0 ? "[CLS]" : $"patch {t.Row},{t.Col}")))
            .Append("token_id", false, ArrowFiles.Ints(tok.Select(_ => -1)))
            .Append("is_special", false, ArrowFiles.Bools(tok.Select(t => t.Pos == 0)))
            .Append("is_punct", false, ArrowFiles.Bools(tok.Select(_ => false)))
            .Append("token_length", false, ArrowFiles.Ints(tok.Select(_ => 0)))
            .Append("sentence_length", false, ArrowFiles.Ints(tok.Select(_ => Tokens)))
            .Append("image", false, ArrowFiles.Ints(tok.Select(t => t.Image)))
            .Append("patch_row", false, ArrowFiles.Ints(tok.Select(t => t.Row)))
            .Append("patch_col", false, ArrowFiles.Ints(tok.Select(t => t.Col)))
            .Append("color_r", false, ArrowFiles.Floats(tok.Select(t => t.R)))
            .Append("color_g", false, ArrowFiles.Floats(tok.Select(t => t.G)))
            .Append("color_b", false, ArrowFiles.Floats(tok.Select(t => t.B)))
            .Append("hue", false, ArrowFiles.Floats(hsv.Select(h => h.Hue)))
            .Append("saturation", false, ArrowFiles.Floats(hsv.Select(h => h.Saturation)))
            .Append("brightness", false, ArrowFiles.Floats(tok.Select(t => t.Luma)))
            .Build());

        // images.arrow: the thumbnail is the 16 × 16 input itself.
        var thumbs = new BinaryArray.Builder();
        foreach (var (path, _) in images) thumbs.Append(File.ReadAllBytes(Path.Combine(folder, path)).AsSpan());
        ArrowFiles.Write(Path.Combine(dir, "images.arrow"), new RecordBatch.Builder()
            .Append("image", false, ArrowFiles.Ints(Enumerable.Range(0, count)))
            .Append("path", false, ArrowFiles.Strings(images.Select(i => i.Path)))
            .Append("width", false, ArrowFiles.Ints(Enumerable.Repeat(TestImages.Size, count)))
            .Append("height", false, ArrowFiles.Ints(Enumerable.Repeat(TestImages.Size, count)))
            .Append("thumb_width", false, ArrowFiles.Ints(Enumerable.Repeat(TestImages.Size, count)))
            .Append("thumb_height", false, ArrowFiles.Ints(Enumerable.Repeat(TestImages.Size, count)))
            .Append("thumbnail", false, thumbs.Build())
            .Build());

        var heads = new List<object>();
        for (int l = 0; l < Layers; l++)
        for (int h = 0; h < Heads; h++)
        {
            var headDir = Path.Combine(dir, "heads", $"L{l}_H{h}");
            Directory.CreateDirectory(headDir);
            var rng = new Random(100 * l + h);
            float[] Vec() => Enumerable.Range(0, DHead).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
            var q = Enumerable.Range(0, n).Select(_ => Vec()).ToArray(); // [N, dHead]
            var k = Enumerable.Range(0, n).Select(_ => Vec()).ToArray(); // [N, dHead]
            float Norm(float[] v) => MathF.Sqrt(v.Sum(x => x * x));
            ArrowFiles.Write(Path.Combine(headDir, "qk.arrow"), new RecordBatch.Builder()
                .Append("q", false, ArrowFiles.FixedFloatLists(q, DHead))
                .Append("k", false, ArrowFiles.FixedFloatLists(k, DHead))
                .Append("q_norm", false, ArrowFiles.Floats(q.Select(Norm)))
                .Append("k_norm", false, ArrowFiles.Floats(k.Select(Norm)))
                .Build());
            var weights = new float[n][]; // softmax(3 q·k) over the tokens of the image
            for (int t = 0; t < n; t++)
            {
                int s0 = t / Tokens * Tokens;
                var logits = Enumerable.Range(0, Tokens).Select(j => 3.0 * q[t].Zip(k[s0 + j], (a, b) => a * b).Sum()).ToArray();
                var e = logits.Select(x => Math.Exp(x - logits.Max())).ToArray();
                weights[t] = e.Select(x => (float)(x / e.Sum())).ToArray();
            }
            ArrowFiles.Write(Path.Combine(headDir, "attention.arrow"), new RecordBatch.Builder()
                .Append("weights", false, ArrowFiles.FloatLists(weights)).Build());
            var x = Enumerable.Range(0, 2 * n).Select(i => (float)((i < n ? -0.6 : 0.6) + rng.NextDouble() - 0.5)).ToArray();
            var y = Enumerable.Range(0, 2 * n).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
            ArrowFiles.Write(Path.Combine(headDir, "pca2d.arrow"), new RecordBatch.Builder()
                .Append("x", false, ArrowFiles.Floats(x)).Append("y", false, ArrowFiles.Floats(y)).Build());
            File.WriteAllText(Path.Combine(headDir, "metrics.json"),
                JsonSerializer.Serialize(new { faithfulness = new Dictionary<string, double> { ["pca2d"] = Math.Round(rng.NextDouble() * 2 - 1, 6) } }));
            heads.Add(new { layer = l, head = h, kvHead = h, dir = $"heads/L{l}_H{h}" });
        }

        var manifest = new
        {
            format = "headatlas-run", version = 1, createdUtc = "2026-11-26T00:00:00Z",
            model = new { name = "vit-fixture", architecture = "vit", layers = Layers, heads = Heads, kvHeads = Heads, dHead = DHead, dModel = DHead * Heads, maxPositions = Tokens, patchRows = Rows, patchCols = Cols },
            corpus = new { kind = "images", source = folder, sha256 = "0", sentences = count, tokens = n, truncatedSentences = 0 },
            settings = new { seed = 0, maxTokens = 0, keyTranslation = true, scaleMatching = true, metric = "cosine", perplexity = 30 },
            projections = new[] { "pca2d", "tsne2d" },
            heads,
        };
        File.WriteAllText(Path.Combine(dir, "manifest.json"), JsonSerializer.Serialize(manifest));
        return dir;
    }

    /// <summary>HSV hue (0..1; 0 when saturation is 0) and saturation of an RGB colour (0..1 each).</summary>
    private static (float Hue, float Saturation) Hsv(float r, float g, float b)
    {
        float max = Math.Max(r, Math.Max(g, b)), min = Math.Min(r, Math.Min(g, b)), d = max - min;
        if (max <= 0 || d <= 0) return (0, 0);
        float h = max == r ? (g - b) / d : max == g ? 2 + (b - r) / d : 4 + (r - g) / d;
        return ((h / 6 + 1) % 1, d / max);
    }
}
