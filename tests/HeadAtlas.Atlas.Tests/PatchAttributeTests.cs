using HeadAtlas.Models.Vision;
using SkiaSharp;

namespace HeadAtlas.Atlas.Tests;

/// <summary>Colour attributes and thumbnails on their own.</summary>
public class PatchAttributeTests
{
    [Theory]
    [InlineData(1, 0, 0, 0.0, 1)]           // red
    [InlineData(1, 1, 0, 1.0 / 6, 1)]       // yellow
    [InlineData(0, 1, 0, 1.0 / 3, 1)]       // green
    [InlineData(0, 1, 1, 0.5, 1)]           // cyan
    [InlineData(0, 0, 1, 2.0 / 3, 1)]       // blue
    [InlineData(1, 0, 1, 5.0 / 6, 1)]       // magenta
    [InlineData(1, 0.5, 0, 1.0 / 12, 1)]    // orange
    [InlineData(0.5, 0.25, 0.25, 0.0, 0.5)] // dull red
    [InlineData(0.4, 0.4, 0.4, 0.0, 0)]     // grey: hue 0
    [InlineData(0, 0, 0, 0.0, 0)]           // black
    public void HueAndSaturation_AreHsv(double r, double g, double b, double hue, double saturation)
    {
        var (h, s) = PatchAttributes.HueSaturation(r, g, b);
        Assert.Equal(hue, h, 1e-12);
        Assert.Equal(saturation, s, 1e-12);
    }

    [Fact]
    public void Patches_AreMeansOverTheirPixels_RowByRow()
    {
        // 6×4 image, 2 rows × 3 cols of 2×2 patches; pixel (x, y) has red = 10x, green = 50y, blue = 7.
        int w = 6, h = 4;
        var rgb = new byte[w * h * 3]; // [height, width, 3]
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) { rgb[(y * w + x) * 3] = (byte)(10 * x); rgb[(y * w + x) * 3 + 1] = (byte)(50 * y); rgb[(y * w + x) * 3 + 2] = 7; }
        var colors = PatchAttributes.Of(rgb, w, h, 2, 3);
        Assert.Equal(7, colors.Length);
        Assert.Equal(25 / 255.0, colors[0].R, 6);  // mean x 2.5
        Assert.Equal(75 / 255.0, colors[0].G, 6);  // mean y 1.5
        var p = colors[1 + 1 * 3 + 2];             // row 1, col 2: x ∈ {4, 5}, y ∈ {2, 3}
        Assert.Equal(45 / 255.0, p.R, 6);
        Assert.Equal(125 / 255.0, p.G, 6);
        Assert.Equal(7 / 255.0, p.B, 6);
        Assert.Equal((0.299 * 45 + 0.587 * 125 + 0.114 * 7) / 255, p.Brightness, 6);
    }

    [Fact]
    public void Thumbnails_ScaleDownToAtMost224_NeverUp()
    {
        int w = 448, h = 224;
        var rgb = new byte[w * h * 3]; // left half blue, right half green
        for (int i = 0; i < w * h; i++) { bool left = i % w < w / 2; rgb[i * 3 + 1] = (byte)(left ? 0 : 255); rgb[i * 3 + 2] = (byte)(left ? 255 : 0); }
        var (png, tw, th) = ImageFiles.Thumbnail(rgb, w, h, 224);
        Assert.Equal((224, 112), (tw, th));
        var (dw, dh, pixel) = TestImages.Decode(png);
        Assert.Equal((224, 112), (dw, dh));
        Assert.Equal(new SKColor(0, 0, 255), pixel(50, 50));
        Assert.Equal(new SKColor(0, 255, 0), pixel(170, 50));

        var small = ImageFiles.Thumbnail(new byte[10 * 20 * 3], 10, 20, 224);
        Assert.Equal((10, 20), (small.Width, small.Height));
    }
}
