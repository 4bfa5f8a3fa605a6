namespace HeadAtlas.Models.Tests;

/// <summary>Disposing a folder model unmaps its safetensors file (as the kernel lists mappings in /proc/self/maps) and
/// leaves the model unusable; the shared built-in survives a Dispose.</summary>
public sealed class ModelDisposeTests
{
    /// <summary>Whether this process maps <paramref name="path"/> (its lines of /proc/self/maps end with the path).</summary>
    private static bool Mapped(string path) =>
        File.ReadLines("/proc/self/maps").Any(l => l.EndsWith(" " + path, StringComparison.Ordinal));

    [Theory]
    [InlineData("gpt2")]
    [InlineData("llama")]
    [InlineData("vit")]
    public void DisposeUnmapsTheWeightsAndRefusesFurtherUse(string fixture)
    {
        // A private copy: other tests running in parallel map the shared fixture file.
        string dir = Fixtures.CopyToTemp(fixture);
        string weights = Path.GetFullPath(Path.Combine(dir, "model.safetensors"));
        try
        {
            var model = ModelLoader.Load(dir);
            Assert.True(Mapped(weights), $"{weights} should be mapped while the model is open");
            model.Dispose();
            Assert.False(Mapped(weights), $"{weights} is still mapped after Dispose");
            model.Dispose(); // twice is harmless
            if (model is IImageModel vision)
            {
                var image = vision.LoadImage(Path.Combine(dir, "image.png"));
                Assert.Throws<ObjectDisposedException>(() => vision.ForwardImages([image.Pixels]));
            }
            else
            {
                Assert.Throws<ObjectDisposedException>(() => model.Forward([Fixtures.Load(fixture).Ids]));
                Assert.Throws<ObjectDisposedException>(() => model.Tokenize("the whale"));
            }
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void ADisposedBertRefusesUse()
    {
        var bert = ModelLoader.Load(Fixtures.Folder("bert"));
        bert.Dispose();
        Assert.Throws<ObjectDisposedException>(() => bert.Tokenize("the whale"));
        Assert.Throws<ObjectDisposedException>(() => bert.Forward([[2, 5, 3]]));
    }

    [Fact]
    public void DisposingTheSharedBuiltinLeavesItUsable()
    {
        using (var first = BuiltinModels.Load("minilm")) first.Tokenize("hi");
        var again = BuiltinModels.Load("minilm");
        Assert.Equal(3, again.Forward([again.Tokenize("hi").Ids])[0].Shape[0]);
    }
}
