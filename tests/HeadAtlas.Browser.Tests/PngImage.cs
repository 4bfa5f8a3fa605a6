using System.Buffers.Binary;
using System.IO.Compression;

namespace HeadAtlas.Browser.Tests;

/// <summary>
/// Decodes the PNG screenshots chromium produces (8-bit RGB or RGBA, not interlaced) into RGBA pixels, so tests
/// can count what the browser really showed. Not a general PNG reader.
/// </summary>
public sealed class PngImage
{
    public int Width { get; }
    public int Height { get; }
    private readonly byte[] _rgba; // [height, width, 4]

    private PngImage(int width, int height, byte[] rgba) { Width = width; Height = height; _rgba = rgba; }

    public (byte R, byte G, byte B, byte A) this[int x, int y]
    {
        get
        {
            int i = 4 * (y * Width + x);
            return (_rgba[i], _rgba[i + 1], _rgba[i + 2], _rgba[i + 3]);
        }
    }

    public static PngImage Decode(byte[] png)
    {
        if (png.Length < 8 || png[1] != 'P' || png[2] != 'N' || png[3] != 'G')
            throw new InvalidDataException("not a PNG");
        int pos = 8, width = 0, height = 0, colorType = 0;
        var idat = new MemoryStream();
        while (pos < png.Length)
        {
            int len = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(pos));
            var type = System.Text.Encoding.ASCII.GetString(png, pos + 4, 4);
            var data = png.AsSpan(pos + 8, len);
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                int bitDepth = data[8], interlace = data[12];
                colorType = data[9];
                if (bitDepth != 8 || interlace != 0 || (colorType != 2 && colorType != 6))
                    throw new InvalidDataException($"unsupported PNG: depth {bitDepth}, color type {colorType}, interlace {interlace}");
            }
            else if (type == "IDAT") idat.Write(data);
            else if (type == "IEND") break;
            pos += 12 + len;
        }

        int channels = colorType == 6 ? 4 : 3, stride = width * channels;
        var raw = new MemoryStream();
        idat.Position = 0;
        using (var z = new ZLibStream(idat, CompressionMode.Decompress)) z.CopyTo(raw);
        var bytes = raw.ToArray(); // [height, 1 + stride]: a filter byte, then the row
        var prev = new byte[stride];
        var cur = new byte[stride];
        var rgba = new byte[width * height * 4];
        for (int y = 0; y < height; y++)
        {
            int filter = bytes[y * (stride + 1)];
            Array.Copy(bytes, y * (stride + 1) + 1, cur, 0, stride);
            for (int i = 0; i < stride; i++)
            {
                int a = i >= channels ? cur[i - channels] : 0, b = prev[i], c = i >= channels ? prev[i - channels] : 0;
                cur[i] = (byte)(cur[i] + filter switch
                {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => (a + b) / 2,
                    4 => Paeth(a, b, c),
                    _ => throw new InvalidDataException($"bad PNG filter {filter}"),
                });
            }
            for (int x = 0; x < width; x++)
            {
                int o = 4 * (y * width + x);
                rgba[o] = cur[x * channels];
                rgba[o + 1] = cur[x * channels + 1];
                rgba[o + 2] = cur[x * channels + 2];
                rgba[o + 3] = channels == 4 ? cur[x * channels + 3] : (byte)255;
            }
            (prev, cur) = (cur, prev);
        }
        return new PngImage(width, height, rgba);
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
