using System.Text.Json;
using HeadAtlas.Tensors;
using SkiaSharp;

namespace HeadAtlas.Models.Vision;

/// <summary>
/// An image as a vision model reads it, following preprocessor_config.json: decoded with SkiaSharp (PNG, JPEG, ...),
/// resized to {height, width} (bilinear), scaled by rescale_factor (1/255) and normalized per channel by
/// image_mean and image_std. Alpha is dropped.
/// </summary>
public sealed class ImagePreprocessor
{
    public const string FileName = "preprocessor_config.json";

    public int Height { get; init; }
    public int Width { get; init; }
    public bool Resize { get; init; } = true;
    public float RescaleFactor { get; init; } = 1f / 255;
    public bool Rescale { get; init; } = true;
    public bool Normalize { get; init; } = true;
    public float[] Mean { get; init; } = [0.5f, 0.5f, 0.5f];
    public float[] Std { get; init; } = [0.5f, 0.5f, 0.5f];

    public static ImagePreprocessor Read(string folder)
    {
        string path = Path.Combine(folder, FileName);
        if (!File.Exists(path)) throw new ModelException($"{folder}: no {FileName} (a vision model folder says there how to resize and normalize images)");
        using var doc = StrictJson.Parse(File.ReadAllBytes(path), path);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw new ModelException($"{path}: expected a JSON object");
        int height, width;
        if (!root.TryGetProperty("size", out var size)) throw new ModelException($"{path}: field 'size' is missing");
        if (size.ValueKind == JsonValueKind.Number) height = width = PositiveInt(size, path, "size");
        else if (size.ValueKind == JsonValueKind.Object && size.TryGetProperty("height", out var h) && size.TryGetProperty("width", out var w))
        {
            height = PositiveInt(h, path, "size.height");
            width = PositiveInt(w, path, "size.width");
        }
        else throw new ModelException($"{path}: field 'size' must be a number or {{\"height\", \"width\"}}");
        return new ImagePreprocessor
        {
            Height = height, Width = width,
            Resize = Bool(root, "do_resize", true, path), Rescale = Bool(root, "do_rescale", true, path), Normalize = Bool(root, "do_normalize", true, path),
            RescaleFactor = root.TryGetProperty("rescale_factor", out var r) ? (float)Number(r, path, "rescale_factor") : 1f / 255,
            Mean = Triple(root, "image_mean", path), Std = Triple(root, "image_std", path),
        };
    }

    /// <summary>[3, height, width]</summary>
    public Tensor Load(string path) => LoadWithRgb(path).Pixels;

    /// <summary>The model's input and, from the same resize, the image before rescaling and normalization
    /// (what an atlas shows as thumbnails and patch colours).</summary>
    public PreprocessedImage LoadWithRgb(string path)
    {
        if (!File.Exists(path)) throw new ModelException($"{path}: image file not found");
        using var decoded = SKBitmap.Decode(path) ?? throw new ModelException($"{path}: not an image SkiaSharp can decode (PNG, JPEG, WebP, ...) or the file is corrupt");
        var info = new SKImageInfo(Resize ? Width : decoded.Width, Resize ? Height : decoded.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        if (info.Width != Width || info.Height != Height)
            throw new ModelException($"{path}: the image is {decoded.Width}×{decoded.Height} and the model takes {Width}×{Height}, but do_resize is false");
        using var rgba = new SKBitmap(info);
        using (var canvas = new SKCanvas(rgba))
        using (var image = SKImage.FromBitmap(decoded))
        {
            canvas.Clear(SKColors.Black);
            canvas.DrawImage(image, new SKRect(0, 0, info.Width, info.Height), new SKSamplingOptions(SKFilterMode.Linear));
        }
        var bytes = rgba.GetPixelSpan(); // [height, width, 4]
        var pixels = new Tensor(3, Height, Width); // [channel, height, width]
        var rgb = new byte[Height * Width * 3];    // [height, width, 3]
        int plane = Height * Width;
        for (int i = 0; i < plane; i++)
            for (int c = 0; c < 3; c++)
            {
                rgb[i * 3 + c] = bytes[i * 4 + c];
                float v = bytes[i * 4 + c];
                if (Rescale) v *= RescaleFactor;
                if (Normalize) v = (v - Mean[c]) / Std[c];
                pixels.Data[c * plane + i] = v;
            }
        return new PreprocessedImage(pixels, rgb, decoded.Width, decoded.Height);
    }

    private static int PositiveInt(JsonElement e, string path, string field) =>
        e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int v) && v > 0 && v <= 8192 ? v : throw new ModelException($"{path}: field '{field}' must be a positive integer (at most 8192)");

    private static double Number(JsonElement e, string path, string field) =>
        e.ValueKind == JsonValueKind.Number && e.TryGetDouble(out double v) && double.IsFinite(v) ? v : throw new ModelException($"{path}: field '{field}' must be a number");

    private static bool Bool(JsonElement root, string field, bool fallback, string path) =>
        !root.TryGetProperty(field, out var v) ? fallback : v.ValueKind switch
        {
            JsonValueKind.True => true, JsonValueKind.False => false, _ => throw new ModelException($"{path}: field '{field}' must be true or false"),
        };

    private static float[] Triple(JsonElement root, string field, string path)
    {
        if (!root.TryGetProperty(field, out var v)) return [0.5f, 0.5f, 0.5f];
        if (v.ValueKind != JsonValueKind.Array || v.GetArrayLength() != 3) throw new ModelException($"{path}: field '{field}' must be 3 numbers (R, G, B)");
        var result = v.EnumerateArray().Select(e => (float)Number(e, path, field)).ToArray();
        if (field == "image_std" && result.Any(s => s <= 0)) throw new ModelException($"{path}: field 'image_std' must be positive");
        return result;
    }
}

/// <summary>One image after <see cref="ImagePreprocessor.LoadWithRgb"/>.</summary>
/// <param name="Pixels">[3, height, width], rescaled and normalized: the model's input.</param>
/// <param name="Rgb">[height, width, 3] bytes: the same resized image before rescaling and normalization.</param>
/// <param name="SourceWidth">Width of the image file in pixels.</param>
/// <param name="SourceHeight">Height of the image file in pixels.</param>
public sealed record PreprocessedImage(Tensor Pixels, byte[] Rgb, int SourceWidth, int SourceHeight);
