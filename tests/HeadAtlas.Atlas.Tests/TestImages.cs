using SkiaSharp;

namespace HeadAtlas.Atlas.Tests;

/// <summary>Images drawn by the tests (SkiaSharp), so the colours of every patch are known.</summary>
public static class TestImages
{
    /// <summary>The tiny ViT fixture: 16×16 input, 4×4 patches of 4×4 pixels.</summary>
    public static string VitFolder => Path.Combine(Repo.Root, "tests", "fixtures", "vit");

    /// <summary>Writes an image whose pixel (x, y) is <paramref name="color"/>(x, y).</summary>
    public static string Write(string path, int width, int height, Func<int, int, SKColor> color, SKEncodedImageFormat format = SKEncodedImageFormat.Png)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++) bitmap.SetPixel(x, y, color(x, y));
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, 95);
        File.WriteAllBytes(path, data.ToArray());
        return path;
    }

    public static string Solid(string path, int width, int height, SKColor color, SKEncodedImageFormat format = SKEncodedImageFormat.Png) =>
        Write(path, width, height, (_, _) => color, format);

    /// <summary>Left half blue, right half green.</summary>
    public static string Halves(string path, int width = 16, int height = 16) =>
        Write(path, width, height, (x, _) => x < width / 2 ? new SKColor(0, 0, 255) : new SKColor(0, 255, 0));

    /// <summary>Grey, brightening downwards: row y has value 16·y (16 rows: 0 .. 240).</summary>
    public static string Gradient(string path) =>
        Write(path, 16, 16, (_, y) => new SKColor((byte)(16 * y), (byte)(16 * y), (byte)(16 * y)));

    /// <summary>Decodes a PNG/JPEG to [height, width, RGB] via SkiaSharp.</summary>
    public static (int Width, int Height, Func<int, int, SKColor> Pixel) Decode(byte[] bytes)
    {
        var bitmap = SKBitmap.Decode(bytes) ?? throw new InvalidDataException("not an image");
        return (bitmap.Width, bitmap.Height, (x, y) => bitmap.GetPixel(x, y));
    }
}
