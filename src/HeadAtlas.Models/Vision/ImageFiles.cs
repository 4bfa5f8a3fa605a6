using SkiaSharp;

namespace HeadAtlas.Models.Vision;

/// <summary>Checking image files before a long build and writing the thumbnails an atlas shows (SkiaSharp).</summary>
public static class ImageFiles
{
    /// <summary>Decodes <paramref name="bytes"/> fully; returns null and the size when they are a whole image
    /// SkiaSharp can read, else what is wrong (not an image / unsupported format, or cut short or damaged).</summary>
    public static string? Problem(byte[] bytes, out int width, out int height)
    {
        width = height = 0;
        using var data = SKData.CreateCopy(bytes);
        using var codec = SKCodec.Create(data);
        if (codec is null) return "not an image SkiaSharp can decode (expected PNG or JPEG), or its header is corrupt";
        width = codec.Info.Width;
        height = codec.Info.Height;
        if (width <= 0 || height <= 0) return $"has no pixels ({width}×{height})";
        // Decode every pixel: a file cut short or damaged inside shows up here, not halfway through a build.
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        var result = codec.GetPixels(bitmap.Info, bitmap.GetPixels());
        return result == SKCodecResult.Success ? null : $"cannot be decoded whole ({result}): the file is cut short or damaged";
    }

    /// <summary>A PNG of an RGB image (<paramref name="rgb"/>: [height, width, 3] bytes), scaled down (never up)
    /// so its longer side is at most <paramref name="maxSide"/>; returns its bytes and size.</summary>
    public static (byte[] Png, int Width, int Height) Thumbnail(byte[] rgb, int width, int height, int maxSide)
    {
        if (rgb.Length != width * height * 3) throw new ArgumentException($"expected {width}×{height}×3 bytes, got {rgb.Length}", nameof(rgb));
        double scale = Math.Min(1.0, (double)maxSide / Math.Max(width, height));
        int tw = Math.Max(1, (int)Math.Round(width * scale)), th = Math.Max(1, (int)Math.Round(height * scale));
        using var full = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var px = full.GetPixelSpan(); // [height, width, 4]
        for (int i = 0; i < width * height; i++)
        {
            px[i * 4] = rgb[i * 3];
            px[i * 4 + 1] = rgb[i * 3 + 1];
            px[i * 4 + 2] = rgb[i * 3 + 2];
            px[i * 4 + 3] = 255;
        }
        using var scaled = tw == width && th == height
            ? full.Copy()
            : full.Resize(new SKImageInfo(tw, th, SKColorType.Rgba8888, SKAlphaType.Opaque), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
        using var image = SKImage.FromBitmap(scaled);
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        return (png.ToArray(), tw, th);
    }
}
