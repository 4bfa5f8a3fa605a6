namespace HeadAtlas.Atlas;

/// <summary>What an image run's tokens.arrow says about a token's pixels (all 0..1).</summary>
/// <param name="R">Mean red of the pixels.</param>
/// <param name="Hue">HSV hue of the mean colour (0 red, 1/3 green, 2/3 blue); 0 when its saturation is 0.</param>
/// <param name="Brightness">Mean Rec. 601 luma of the pixels.</param>
public readonly record struct PatchColor(float R, float G, float B, float Hue, float Saturation, float Brightness);

/// <summary>Colour attributes of an image's tokens, from the image as the model sees it (after resizing, before
/// normalization).</summary>
public static class PatchAttributes
{
    /// <summary>[1 + rows·cols]: [CLS] (the whole image), then patch (r, c) at 1 + r·cols + c, covering pixels
    /// x ∈ [c·width/cols, (c+1)·width/cols), y ∈ [r·height/rows, (r+1)·height/rows).</summary>
    /// <param name="rgb">[height, width, 3] bytes.</param>
    public static PatchColor[] Of(byte[] rgb, int width, int height, int rows, int cols)
    {
        if (rgb.Length != width * height * 3) throw new ArgumentException($"expected {width}×{height}×3 bytes, got {rgb.Length}", nameof(rgb));
        var colors = new PatchColor[1 + rows * cols];
        colors[0] = Mean(rgb, width, 0, width, 0, height);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                colors[1 + r * cols + c] = Mean(rgb, width, c * width / cols, (c + 1) * width / cols, r * height / rows, (r + 1) * height / rows);
        return colors;
    }

    private static PatchColor Mean(byte[] rgb, int width, int x0, int x1, int y0, int y1)
    {
        double r = 0, g = 0, b = 0;
        for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++)
            {
                int i = (y * width + x) * 3;
                r += rgb[i]; g += rgb[i + 1]; b += rgb[i + 2];
            }
        double count = Math.Max(1, (x1 - x0) * (y1 - y0)) * 255.0;
        r /= count; g /= count; b /= count;
        var (hue, saturation) = HueSaturation(r, g, b);
        // Luma is linear in the channels, so the mean luma of the pixels is the luma of their mean colour.
        double luma = 0.299 * r + 0.587 * g + 0.114 * b;
        return new PatchColor((float)r, (float)g, (float)b, (float)hue, (float)saturation, (float)luma);
    }

    /// <summary>HSV hue and saturation of a colour with channels 0..1; hue 0..1 (0 when the colour is grey).</summary>
    public static (double Hue, double Saturation) HueSaturation(double r, double g, double b)
    {
        double max = Math.Max(r, Math.Max(g, b)), min = Math.Min(r, Math.Min(g, b)), chroma = max - min;
        double saturation = max > 0 ? chroma / max : 0;
        if (chroma <= 0) return (0, saturation);
        double sector = max == r ? (g - b) / chroma
                      : max == g ? 2 + (b - r) / chroma
                      : 4 + (r - g) / chroma; // −1 .. 5, in sixths of the circle
        double hue = sector / 6;
        if (hue < 0) hue += 1;
        return (hue, saturation);
    }
}
