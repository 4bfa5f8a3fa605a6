using System.Text.Json;
using SkiaSharp;

namespace HeadAtlas.Cli.Tests;

/// <summary><c>build --images FOLDER</c> through Program.Main with the tiny ViT fixture.</summary>
[Collection("console")]
public sealed class ImageBuildCommandTests
{
    private static string Fixture(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", "fixtures", name);
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException($"tests/fixtures/{name}");
    }

    private static string Images(TempFolder tmp)
    {
        string folder = tmp.File("images");
        Directory.CreateDirectory(Path.Combine(folder, "more"));
        Solid(Path.Combine(folder, "red.png"), new SKColor(255, 0, 0));
        Solid(Path.Combine(folder, "more", "blue.png"), new SKColor(0, 0, 255));
        return folder;
    }

    private static void Solid(string path, SKColor color)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(20, 12, SKColorType.Rgba8888, SKAlphaType.Opaque));
        bitmap.Erase(color);
        using var image = SKImage.FromBitmap(bitmap);
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, png.ToArray());
    }

    [Fact]
    public void Build_of_an_image_folder_writes_an_image_run_and_resumes()
    {
        using var tmp = new TempFolder();
        string folder = Images(tmp), run = tmp.File("run");
        var (exit, _, err) = CliRunner.Run("build", "--model", Fixture("vit"), "--images", folder, "--out", run);
        Assert.True(exit == 0, err);
        Assert.Contains("2 images, 34 tokens", err);
        using (var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "manifest.json"))))
        {
            var root = json.RootElement;
            Assert.Equal("images", root.GetProperty("corpus").GetProperty("kind").GetString());
            Assert.Equal(folder, root.GetProperty("corpus").GetProperty("source").GetString());
            Assert.Equal(4, root.GetProperty("model").GetProperty("patchRows").GetInt32());
            foreach (var head in root.GetProperty("heads").EnumerateArray())
                foreach (var p in root.GetProperty("projections").EnumerateArray())
                    Assert.True(File.Exists(Path.Combine(run, head.GetProperty("dir").GetString()!, p.GetString() + ".arrow")));
        }
        Assert.True(File.Exists(Path.Combine(run, "images.arrow")));
        string manifestBefore = File.ReadAllText(Path.Combine(run, "manifest.json"));

        (exit, _, err) = CliRunner.Run("build", "--model", Fixture("vit"), "--images", folder, "--out", run);
        Assert.True(exit == 0, err);
        Assert.Equal(manifestBefore, File.ReadAllText(Path.Combine(run, "manifest.json"))); // resumed, not rebuilt
    }

    [Fact]
    public void Images_and_models_must_match()
    {
        using var tmp = new TempFolder();
        string folder = Images(tmp), corpus = tmp.File("corpus.txt"), run = tmp.File("run");
        File.WriteAllText(corpus, "Call me Ishmael.\n");

        var (exit, _, err) = CliRunner.Run("build", "--model", Fixture("gpt2"), "--images", folder, "--out", run);
        Assert.Equal(1, exit);
        Assert.Contains("--images needs a vision transformer", err);

        (exit, _, err) = CliRunner.Run("build", "--model", Fixture("vit"), "--corpus", corpus, "--out", run);
        Assert.Equal(1, exit);
        Assert.Contains("--images FOLDER", err);

        (exit, _, err) = CliRunner.Run("build", "--model", Fixture("vit"), "--corpus", corpus, "--images", folder, "--out", run);
        Assert.Equal(1, exit);
        Assert.Contains("not both", err);

        (exit, _, err) = CliRunner.Run("build", "--model", Fixture("vit"), "--out", run);
        Assert.Equal(1, exit);
        Assert.Contains("--images FOLDER", err);
        Assert.False(Directory.Exists(run));
    }

    [Fact]
    public void A_corrupt_image_is_one_error_naming_it()
    {
        using var tmp = new TempFolder();
        string folder = Images(tmp), bad = Path.Combine(folder, "more", "bad.jpg"), run = tmp.File("run");
        File.WriteAllBytes(bad, [0xFF, 0xD8, 0xFF, 0x00, 0x13, 0x37]);
        var (exit, _, err) = CliRunner.Run("build", "--model", Fixture("vit"), "--images", folder, "--out", run);
        Assert.Equal(1, exit);
        Assert.Contains(bad, err);
        Assert.Single(err.Trim().Split('\n'));
        Assert.Equal([folder], Directory.GetFileSystemEntries(tmp.Path));
    }
}
