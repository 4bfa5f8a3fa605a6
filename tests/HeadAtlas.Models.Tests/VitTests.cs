using Xunit.Abstractions;

namespace HeadAtlas.Models.Tests;

/// <summary>The ViT fixture (16×16 image, 4×4 patches) against PyTorch: image preprocessing and every reference hook.</summary>
public sealed class VitTests(ITestOutputHelper output)
{
    private static IImageModel Load() => Assert.IsAssignableFrom<IImageModel>(ModelLoader.Load(Fixtures.Folder("vit")));

    [Fact]
    public void ImageAndHooksMatchPyTorch()
    {
        using var model = Load();
        Assert.Equal(("vit", 17), (model.Info.Architecture, model.Info.MaxPositions));
        var reference = Fixtures.Load("vit");
        var image = model.LoadImage(Path.Combine(Fixtures.Folder("vit"), "image.png"));
        Assert.Equal(17, image.Tokens.Length);
        Assert.Equal("patch 3,3", image.Tokens[^1]);
        float pixelDiff = Fixtures.MaxAbsDiff(reference.Hooks["pixels"], image.Pixels);
        Assert.True(pixelDiff < 1e-5, $"pixels differ by {pixelDiff}");

        var names = reference.Hooks.Keys.Where(k => k != "pixels").ToList();
        var hooks = new HookSet().Capture(names);
        model.ForwardImages([image.Pixels], [hooks]);
        float worst = 0;
        foreach (var name in names)
        {
            float diff = Fixtures.MaxAbsDiff(reference.Hooks[name], hooks.Captured[name]);
            Assert.True(diff <= 1e-4f, $"{name} differs from PyTorch by {diff}");
            worst = Math.Max(worst, diff);
        }
        output.WriteLine($"vit: {names.Count} hooks, max |ours − PyTorch| = {worst:E2}");
        var pattern = hooks.Captured["blocks.0.attn.hook_pattern"]; // [head, q_pos, k_pos]
        Assert.True(pattern.Data[16] > 0, "ViT attention is bidirectional: [CLS] sees the last patch");
    }

    [Fact]
    public void TextAndBadImagesAreRefused()
    {
        using var model = Load();
        Assert.Contains("vision model", Assert.Throws<ModelException>(() => model.Tokenize("hello")).Message);
        string bad = Path.Combine(Path.GetTempPath(), $"headatlas-bad-{Guid.NewGuid():N}.png");
        File.WriteAllBytes(bad, [0x89, (byte)'P', (byte)'N', (byte)'G', 1, 2, 3]);
        try { Assert.Contains(bad, Assert.Throws<ModelException>(() => model.LoadImage(bad)).Message); }
        finally { File.Delete(bad); }
        string dir = Fixtures.CopyToTemp("vit");
        File.Delete(Path.Combine(dir, "preprocessor_config.json"));
        Assert.Contains("preprocessor_config.json", Assert.Throws<ModelException>(() => ModelLoader.Load(dir)).Message);
    }
}
