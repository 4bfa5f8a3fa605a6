using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Apache.Arrow;
using HeadAtlas.Models;
using SkiaSharp;

namespace HeadAtlas.Atlas.Tests;

/// <summary>Image runs (docs/run-format.md, "Image runs") built with the tiny ViT fixture (16×16 input, 4×4 patches)
/// over images drawn by the test, so every patch's colour is known; q/k checked against the model run directly.</summary>
public class ImageBuildTests
{
    private static readonly BuildSettings NoProjections = new() { Projections = [] };
    private const int Len = 17; // [CLS] + 4·4 patches

    /// <summary>Four images (sorted: "Gradient.png" &lt; "halves.png" &lt; "red.png" &lt; "sub/yellow.jpg", ordinal) and
    /// files that are not read: a text file and a hidden file of garbage.</summary>
    internal static string Corpus(TempDir dir)
    {
        string folder = dir.File("images");
        TestImages.Gradient(Path.Combine(folder, "Gradient.png"));
        TestImages.Halves(Path.Combine(folder, "halves.png"));
        TestImages.Solid(Path.Combine(folder, "red.png"), 16, 16, new SKColor(255, 0, 0));
        TestImages.Solid(Path.Combine(folder, "sub", "yellow.jpg"), 64, 48, new SKColor(255, 255, 0), SKEncodedImageFormat.Jpeg);
        File.WriteAllText(Path.Combine(folder, "notes.txt"), "not an image");
        File.WriteAllBytes(Path.Combine(folder, ".hidden.png"), [1, 2, 3]);
        return folder;
    }

    private static readonly string[] Names = ["Gradient.png", "halves.png", "red.png", "sub/yellow.jpg"];

    internal static IImageModel Vit() => Assert.IsAssignableFrom<IImageModel>(ModelLoader.Load(TestImages.VitFolder));

    private static int[] Ints(RecordBatch b, string name) => ((Int32Array)b.Column(name)).Values.ToArray();
    private static float[] Floats(RecordBatch b, string name) => ((FloatArray)b.Column(name)).Values.ToArray();
    private static bool[] Bools(RecordBatch b, string name) { var a = (BooleanArray)b.Column(name); return Enumerable.Range(0, a.Length).Select(i => a.GetValue(i)!.Value).ToArray(); }
    private static string[] Strings(RecordBatch b, string name) { var a = (StringArray)b.Column(name); return Enumerable.Range(0, a.Length).Select(i => a.GetString(i)).ToArray(); }

    [Fact]
    public void ManifestSentencesAndTokens_DescribeTheImages()
    {
        using var dir = new TempDir();
        string folder = Corpus(dir), run = dir.File("run");
        var manifest = ImageAtlasBuilder.BuildBase(Vit(), folder, run, NoProjections with { BatchSize = 3 });

        // manifest: kind, patch grid, and the sha256 recomputed here over (relative path, 0, bytes) of each image
        var reread = RunReader.ReadManifest(run);
        Assert.Equal(manifest.ToJson(), reread.ToJson());
        Assert.Equal(("images", folder, 4, 4 * Len, 0), (reread.Corpus.Kind, reread.Corpus.Source, reread.Corpus.Sentences, reread.Corpus.Tokens, reread.Corpus.TruncatedSentences));
        Assert.Equal((4, 4), (reread.Model.PatchRows, reread.Model.PatchCols));
        var all = new MemoryStream();
        foreach (var name in Names)
        {
            all.Write(Encoding.UTF8.GetBytes(name));
            all.WriteByte(0);
            all.Write(File.ReadAllBytes(Path.Combine(folder, name)));
        }
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(all.ToArray())), reread.Corpus.Sha256);
        using (var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "manifest.json"))))
        {
            Assert.Equal("images", json.RootElement.GetProperty("corpus").GetProperty("kind").GetString());
            Assert.Equal(4, json.RootElement.GetProperty("model").GetProperty("patchRows").GetInt32());
            Assert.Equal(4, json.RootElement.GetProperty("model").GetProperty("patchCols").GetInt32());
        }

        // sentences.arrow: one row per image
        var sentences = RunReader.ReadTable(Path.Combine(run, "sentences.arrow"));
        Assert.Equal([0, 1, 2, 3], Ints(sentences, "sentence"));
        Assert.Equal(Names, Strings(sentences, "text"));
        Assert.Equal([1, 2, 3, 4], Ints(sentences, "source_line"));
        Assert.Equal([0, 17, 34, 51], Ints(sentences, "first_token"));
        Assert.Equal([Len, Len, Len, Len], Ints(sentences, "length"));
        Assert.DoesNotContain(true, Bools(sentences, "truncated"));

        // tokens.arrow: [CLS] then patches row by row
        var tokens = RunReader.ReadTable(Path.Combine(run, "tokens.arrow"));
        Assert.Equal(4 * Len, tokens.Length);
        var text = Strings(tokens, "text"); var row = Ints(tokens, "patch_row"); var col = Ints(tokens, "patch_col");
        var special = Bools(tokens, "is_special"); var position = Ints(tokens, "position"); var posNorm = Floats(tokens, "position_norm");
        for (int t = 0; t < 4 * Len; t++)
        {
            int p = t % Len;
            Assert.Equal(t / Len, Ints(tokens, "sentence")[t]);
            Assert.Equal(t / Len, Ints(tokens, "image")[t]);
            Assert.Equal(p, position[t]);
            Assert.Equal(p / 16f, posNorm[t], 6);
            Assert.Equal(p == 0, special[t]);
            Assert.Equal(p == 0 ? (-1, -1) : ((p - 1) / 4, (p - 1) % 4), (row[t], col[t]));
            Assert.Equal(p == 0 ? "[CLS]" : $"patch {row[t]},{col[t]}", text[t]);
        }
        Assert.All(Ints(tokens, "token_id"), id => Assert.Equal(-1, id));
        Assert.All(Ints(tokens, "token_length"), l => Assert.Equal(0, l));
        Assert.All(Ints(tokens, "sentence_length"), l => Assert.Equal(Len, l));
        Assert.DoesNotContain(true, Bools(tokens, "is_punct"));

        // colours: the expected value of every token from how the test drew the image
        var r = Floats(tokens, "color_r"); var g = Floats(tokens, "color_g"); var b = Floats(tokens, "color_b");
        var hue = Floats(tokens, "hue"); var sat = Floats(tokens, "saturation"); var bright = Floats(tokens, "brightness");
        void Expect(int t, double er, double eg, double eb, double eh, double es, double tolerance = 1e-5)
        {
            Assert.Equal(er, r[t], tolerance); Assert.Equal(eg, g[t], tolerance); Assert.Equal(eb, b[t], tolerance);
            Assert.Equal(eh, hue[t], tolerance); Assert.Equal(es, sat[t], tolerance);
            Assert.Equal(0.299 * er + 0.587 * eg + 0.114 * eb, bright[t], tolerance);
        }
        // image 0, vertical gradient: patch row pr covers pixel rows 4pr .. 4pr+3 of grey 16·y
        Expect(0, 16 * 7.5 / 255, 16 * 7.5 / 255, 16 * 7.5 / 255, 0, 0);
        for (int p = 1; p < Len; p++)
        {
            double v = 16 * (4 * row[p] + 1.5) / 255;
            Expect(p, v, v, v, 0, 0);
        }
        Assert.True(bright[1] < bright[5] && bright[5] < bright[9] && bright[9] < bright[13]);
        // image 1, left blue / right green
        Expect(Len, 0, 0.5, 0.5, 0.5, 1); // [CLS]: the whole image's mean is cyan
        for (int p = 1; p < Len; p++)
        {
            if (col[Len + p] < 2) Expect(Len + p, 0, 0, 1, 2.0 / 3, 1);
            else Expect(Len + p, 0, 1, 0, 1.0 / 3, 1);
        }
        // image 2, red; image 3, yellow (a JPEG, so approximately)
        for (int p = 0; p < Len; p++) Expect(2 * Len + p, 1, 0, 0, 0, 1);
        for (int p = 0; p < Len; p++) Expect(3 * Len + p, 1, 1, 0, 1.0 / 6, 1, tolerance: 0.03);
    }

    [Fact]
    public void ImagesArrow_HasFileSizesAndThumbnailsWhosePatchRegionsHaveThePatchColours()
    {
        using var dir = new TempDir();
        string folder = Corpus(dir), run = dir.File("run");
        ImageAtlasBuilder.BuildBase(Vit(), folder, run, NoProjections);
        var images = RunReader.ReadTable(Path.Combine(run, "images.arrow"));
        Assert.Equal([0, 1, 2, 3], Ints(images, "image"));
        Assert.Equal(Names, Strings(images, "path"));
        Assert.Equal([16, 16, 16, 64], Ints(images, "width"));
        Assert.Equal([16, 16, 16, 48], Ints(images, "height"));
        Assert.Equal([16, 16, 16, 16], Ints(images, "thumb_width")); // the model's 16×16 input, not scaled up
        Assert.Equal([16, 16, 16, 16], Ints(images, "thumb_height"));

        var thumbnails = (BinaryArray)images.Column("thumbnail");
        var tokens = RunReader.ReadTable(Path.Combine(run, "tokens.arrow"));
        var r = Floats(tokens, "color_r"); var g = Floats(tokens, "color_g"); var b = Floats(tokens, "color_b");
        for (int i = 0; i < 3; i++) // the PNG sources (the JPEG's colours are approximate)
        {
            var png = thumbnails.GetBytes(i).ToArray();
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
            var (w, h, pixel) = TestImages.Decode(png);
            Assert.Equal((16, 16), (w, h));
            // Patch (pr, pc) covers x ∈ [pc·w/4, (pc+1)·w/4), y ∈ [pr·h/4, (pr+1)·h/4): its mean is the token's colour.
            for (int pr = 0; pr < 4; pr++)
                for (int pc = 0; pc < 4; pc++)
                {
                    double sr = 0, sg = 0, sb = 0;
                    for (int y = pr * h / 4; y < (pr + 1) * h / 4; y++)
                        for (int x = pc * w / 4; x < (pc + 1) * w / 4; x++)
                        {
                            var c = pixel(x, y);
                            sr += c.Red; sg += c.Green; sb += c.Blue;
                        }
                    int t = i * Len + 1 + pr * 4 + pc, count = (w / 4) * (h / 4);
                    Assert.Equal(r[t], sr / count / 255, 1e-5);
                    Assert.Equal(g[t], sg / count / 255, 1e-5);
                    Assert.Equal(b[t], sb / count / 255, 1e-5);
                }
        }
        var (_, _, halves) = TestImages.Decode(thumbnails.GetBytes(1).ToArray());
        Assert.Equal(new SKColor(0, 0, 255), halves(7, 3));
        Assert.Equal(new SKColor(0, 255, 0), halves(8, 3));
    }

    [Fact]
    public void QkAndAttention_AreTheVitsHooks_ForEachImage()
    {
        using var dir = new TempDir();
        string folder = Corpus(dir), run = dir.File("run");
        var manifest = ImageAtlasBuilder.BuildBase(Vit(), folder, run, NoProjections with { BatchSize = 3 });
        var model = Vit(); // a fresh model, each image run on its own with hooks — not through the build's code
        int layers = model.Info.Layers, heads = model.Info.Heads, dHead = model.Info.DHead;
        for (int i = 0; i < Names.Length; i++)
        {
            var input = model.LoadImage(Path.Combine(folder, Names[i]));
            var hooks = new HookSet();
            for (int l = 0; l < layers; l++) hooks.Capture($"blocks.{l}.attn.hook_q", $"blocks.{l}.attn.hook_k", $"blocks.{l}.attn.hook_pattern");
            model.ForwardImages([input.Pixels], [hooks]);
            foreach (var head in manifest.Heads)
            {
                var (q, k, n, d) = RunReader.ReadQk(Path.Combine(run, head.Dir));
                Assert.Equal((4 * Len, dHead), (n, d));
                var hq = hooks.Captured[$"blocks.{head.Layer}.attn.hook_q"].Data;       // [pos, head, d_head]
                var hk = hooks.Captured[$"blocks.{head.Layer}.attn.hook_k"].Data;       // [pos, head, d_head]
                var pattern = hooks.Captured[$"blocks.{head.Layer}.attn.hook_pattern"].Data; // [head, q_pos, k_pos]
                var attention = (ListArray)RunReader.ReadTable(Path.Combine(run, head.Dir, "attention.arrow")).Column("weights");
                for (int p = 0; p < Len; p++)
                {
                    int t = i * Len + p;
                    for (int j = 0; j < dHead; j++)
                    {
                        Assert.Equal(hq[(p * heads + head.Head) * dHead + j], q[t * dHead + j], 1e-5);
                        Assert.Equal(hk[(p * heads + head.Head) * dHead + j], k[t * dHead + j], 1e-5);
                    }
                    var weights = ((FloatArray)attention.GetSlicedValues(t)).Values.ToArray();
                    Assert.Equal(Len, weights.Length);
                    for (int j = 0; j < Len; j++) Assert.Equal(pattern[(head.Head * Len + p) * Len + j], weights[j], 1e-6);
                }
            }
        }
    }

    [Fact]
    public void LoadImage_RgbIsThePixelsBeforeNormalization()
    {
        using var dir = new TempDir();
        var input = Vit().LoadImage(TestImages.Halves(dir.File("h.png"), 40, 24));
        Assert.Equal((16, 16, 40, 24), (input.Width, input.Height, input.SourceWidth, input.SourceHeight));
        float[] mean = [0.5f, 0.4f, 0.3f], std = [0.25f, 0.3f, 0.2f]; // tests/fixtures/vit/preprocessor_config.json
        for (int y = 0; y < 16; y++)
            for (int x = 0; x < 16; x++)
                for (int c = 0; c < 3; c++)
                    Assert.Equal((input.Rgb[(y * 16 + x) * 3 + c] / 255f - mean[c]) / std[c], input.Pixels.Data[(c * 16 + y) * 16 + x], 1e-5);
    }

    [Fact]
    public void Projections_AreComputedAsForText()
    {
        using var dir = new TempDir();
        string folder = Corpus(dir), run = dir.File("run");
        var settings = new BuildSettings { Projections = ["pca2d", "tsne2d"], TsneIterations = 50 };
        var manifest = ImageAtlasBuilder.Build(Vit(), folder, run, settings);
        foreach (var head in manifest.Heads)
            foreach (var p in settings.Projections)
                Assert.Equal(2 * 4 * Len, RunReader.ReadTable(Path.Combine(run, head.Dir, p + ".arrow")).Length);
    }

    [Fact]
    public void MaxTokens_KeepsWholeImages()
    {
        using var dir = new TempDir();
        var progress = new RecordingProgress();
        var m = ImageAtlasBuilder.BuildBase(Vit(), Corpus(dir), dir.File("run"), NoProjections with { MaxTokens = 40 }, progress: progress);
        Assert.Equal((2, 34), (m.Corpus.Sentences, m.Corpus.Tokens));
        Assert.Contains(progress.Warnings, w => w.Contains("red.png"));
        Assert.Equal(2, RunReader.ReadTable(Path.Combine(dir.File("run"), "images.arrow")).Length);
    }

    [Fact]
    public void SameImages_Resume_OtherImagesAreRefusedUnlessOverwrite()
    {
        using var dir = new TempDir();
        string folder = Corpus(dir), run = dir.File("run");
        var first = ImageAtlasBuilder.BuildBase(Vit(), folder, run, NoProjections);
        string tokensFile = Path.Combine(run, "tokens.arrow");
        var written = File.GetLastWriteTimeUtc(tokensFile);

        var again = ImageAtlasBuilder.BuildBase(Vit(), folder, run, NoProjections with { BatchSize = 1 });
        Assert.Equal(first.CreatedUtc, again.CreatedUtc);
        Assert.Equal(written, File.GetLastWriteTimeUtc(tokensFile));

        // A renamed image is another corpus (the hash covers paths), as is a changed one.
        File.Move(Path.Combine(folder, "red.png"), Path.Combine(folder, "red2.png"));
        var e = Assert.Throws<BuildInputException>(() => ImageAtlasBuilder.BuildBase(Vit(), folder, run, NoProjections));
        Assert.Contains("corpus", e.Message);
        Assert.Contains("--overwrite", e.Message);
        Assert.Equal(first.Corpus.Sha256, RunReader.ReadManifest(run).Corpus.Sha256);

        TestImages.Solid(Path.Combine(folder, "z.png"), 8, 8, SKColors.White);
        var rebuilt = ImageAtlasBuilder.BuildBase(Vit(), folder, run, NoProjections, overwrite: true);
        Assert.Equal(5, rebuilt.Corpus.Sentences);
        Assert.Equal(5, RunReader.ReadTable(Path.Combine(run, "images.arrow")).Length);
        Assert.Equal([folder, run], Directory.GetDirectories(dir.Path).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ACorruptImage_IsOneErrorNamingIt_AndNothingIsWritten()
    {
        using var dir = new TempDir();
        string folder = dir.File("images");
        TestImages.Halves(Path.Combine(folder, "good.png"));
        var random = new Random(7);
        var garbage = new byte[300];
        random.NextBytes(garbage);
        string broken = Path.Combine(folder, "broken.png");
        File.WriteAllBytes(broken, garbage);
        var e = Assert.Throws<CorpusInputException>(() => ImageAtlasBuilder.BuildBase(Vit(), folder, dir.File("run"), NoProjections));
        Assert.Contains(broken, e.Message);
        Assert.Equal([folder], Directory.GetFileSystemEntries(dir.Path));

        // a PNG cut short: the header is fine, the pixels are not all there
        var whole = File.ReadAllBytes(TestImages.Write(Path.Combine(dir.Path, "big.png"), 64, 64, (x, y) => new SKColor((byte)(x * 4), (byte)(y * 4), (byte)(x ^ y))));
        File.Delete(broken);
        File.Delete(Path.Combine(dir.Path, "big.png"));
        string cut = Path.Combine(folder, "cut.png");
        File.WriteAllBytes(cut, whole[..(whole.Length / 2)]);
        e = Assert.Throws<CorpusInputException>(() => ImageAtlasBuilder.BuildBase(Vit(), folder, dir.File("run"), NoProjections));
        Assert.Contains(cut, e.Message);
        Assert.Equal([folder], Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public void AFolderWithoutImages_OrNoFolder_IsAnError()
    {
        using var dir = new TempDir();
        string folder = dir.File("empty");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "readme.txt"), "no images here");
        var e = Assert.Throws<CorpusInputException>(() => ImageAtlasBuilder.BuildBase(Vit(), folder, dir.File("run"), NoProjections));
        Assert.Contains("no PNG or JPEG", e.Message);
        Assert.Contains(folder, e.Message);
        e = Assert.Throws<CorpusInputException>(() => ImageAtlasBuilder.BuildBase(Vit(), dir.File("missing"), dir.File("run"), NoProjections));
        Assert.Contains("does not exist", e.Message);
        Assert.Equal([folder], Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public void TextModelWithImages_AndVitWithText_AreRefused()
    {
        using var dir = new TempDir();
        string folder = Corpus(dir);
        var e = Assert.Throws<BuildInputException>(() => ImageAtlasBuilder.BuildBase(new FakeModel(), folder, dir.File("run"), NoProjections));
        Assert.Contains("vision transformer", e.Message);
        e = Assert.Throws<BuildInputException>(() => AtlasBuilder.BuildBase(Vit(), BuildBaseTests.SmallCorpus(dir), dir.File("run"), NoProjections));
        Assert.Contains("--images", e.Message);
        Assert.False(Directory.Exists(dir.File("run")));
    }

    [Fact]
    public void TextRuns_SayKindText_AndHaveNoImageColumns()
    {
        using var dir = new TempDir();
        string run = dir.File("run");
        var m = AtlasBuilder.BuildBase(new FakeModel(), BuildBaseTests.SmallCorpus(dir), run, NoProjections);
        Assert.Equal("text", m.Corpus.Kind);
        using (var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "manifest.json"))))
        {
            Assert.Equal("text", json.RootElement.GetProperty("corpus").GetProperty("kind").GetString());
            Assert.False(json.RootElement.GetProperty("model").TryGetProperty("patchRows", out _));
        }
        var tokens = RunReader.ReadTable(Path.Combine(run, "tokens.arrow"));
        Assert.Equal(-1, tokens.Schema.GetFieldIndex("image"));
        Assert.False(File.Exists(Path.Combine(run, "images.arrow")));
        // A manifest written before "kind" existed reads as text.
        var old = RunManifest.FromJson(File.ReadAllText(Path.Combine(run, "manifest.json")).Replace("\"kind\": \"text\",", ""), "old");
        Assert.Equal("text", old.Corpus.Kind);
    }
}
