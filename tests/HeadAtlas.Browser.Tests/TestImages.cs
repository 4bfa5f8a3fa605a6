using SkiaSharp;

namespace HeadAtlas.Browser.Tests;

/// <summary>
/// Small test images, drawn here with SkiaSharp at the tiny ViT fixture's input size (16 × 16, 4 × 4 patches of
/// 4 px), so the model's resize is the identity and every patch's colour is known exactly. None uses green: the
/// explorer's patch outline is cyan and its heat overlay yellow, so they can be told apart from the image in pixels.
/// </summary>
public static class TestImages
{
    public const int Size = 16;

    /// <summary>Relative path → pixel colour at (x, y).</summary>
    public static readonly (string Path, Func<int, int, SKColor> Pixel)[] All =
    [
        ("halves.png", (x, _) => x < Size / 2 ? new SKColor(255, 0, 0) : new SKColor(0, 0, 255)),
        ("ramp.png", (x, y) => new SKColor((byte)(16 * x + 8), 0, (byte)(255 - 16 * y))),
        ("sub/quadrants.png", (x, y) => (x < Size / 2, y < Size / 2) switch
        {
            (true, true) => new SKColor(255, 0, 0),
            (false, true) => new SKColor(0, 0, 255),
            (true, false) => new SKColor(20, 0, 20),
            _ => new SKColor(255, 0, 255),
        }),
    ];

    /// <summary>Writes every image as a PNG under <paramref name="folder"/> (created), plus a file that is not an image.</summary>
    public static void Write(string folder)
    {
        foreach (var (path, pixel) in All)
        {
            var full = Path.Combine(folder, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            using var bitmap = new SKBitmap(new SKImageInfo(Size, Size, SKColorType.Rgba8888, SKAlphaType.Opaque));
            for (int y = 0; y < Size; y++)
            for (int x = 0; x < Size; x++)
                bitmap.SetPixel(x, y, pixel(x, y));
            using var image = SKImage.FromBitmap(bitmap);
            using var png = image.Encode(SKEncodedImageFormat.Png, 100);
            File.WriteAllBytes(full, png.ToArray());
        }
        File.WriteAllText(Path.Combine(folder, "notes.txt"), "not an image; the build skips it");
    }
}
