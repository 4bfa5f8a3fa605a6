using Apache.Arrow;
using Apache.Arrow.Types;

namespace HeadAtlas.Atlas;

/// <summary>One image of an image run as its files describe it.</summary>
/// <param name="Colors">[1 + patchRows·patchCols]: per token, [CLS] first.</param>
/// <param name="Thumbnail">PNG bytes of the model's input image, scaled down.</param>
public sealed record ImageRow(CorpusImage Image, PatchColor[] Colors, byte[] Thumbnail, int ThumbWidth, int ThumbHeight);

/// <summary>
/// The files an image run has in place of a text run's (docs/run-format.md, "Image runs"): sentences.arrow with one
/// row per image, tokens.arrow with the image columns, and images.arrow. Written whole or not at all (see
/// <see cref="RunWriter"/>).
/// </summary>
public static class ImageRunWriter
{
    /// <summary>Tokens of one image: [CLS] and rows·cols patches.</summary>
    public static int TokensPerImage(int rows, int cols) => 1 + rows * cols;

    public static void WriteSentences(string path, IReadOnlyList<ImageRow> images, int rows, int cols)
    {
        int len = TokensPerImage(rows, cols);
        RunWriter.WriteSentences(path, images.Select((im, i) => new SentenceRow(i, im.Image.RelativePath, i + 1, i * len, len, false)).ToList());
    }

    /// <summary>tokens.arrow: the text-run columns (text "[CLS]" / "patch r,c", no token ids), then image, patch_row,
    /// patch_col and the colour columns.</summary>
    public static void WriteTokens(string path, IReadOnlyList<ImageRow> images, int rows, int cols)
    {
        int len = TokensPerImage(rows, cols), n = images.Count * len;
        var token = new int[n]; var sentence = new int[n]; var position = new int[n]; var positionNorm = new float[n];
        var text = new StringArray.Builder(); var isSpecial = new bool[n];
        var patchRow = new int[n]; var patchCol = new int[n];
        var r = new float[n]; var g = new float[n]; var b = new float[n];
        var hue = new float[n]; var saturation = new float[n]; var brightness = new float[n];
        for (int s = 0, t = 0; s < images.Count; s++)
            for (int p = 0; p < len; p++, t++)
            {
                token[t] = t; sentence[t] = s; position[t] = p;
                positionNorm[t] = len > 1 ? (float)p / (len - 1) : 0f;
                isSpecial[t] = p == 0;
                patchRow[t] = p == 0 ? -1 : (p - 1) / cols;
                patchCol[t] = p == 0 ? -1 : (p - 1) % cols;
                text.Append(p == 0 ? "[CLS]" : $"patch {patchRow[t]},{patchCol[t]}");
                var c = images[s].Colors[p];
                r[t] = c.R; g[t] = c.G; b[t] = c.B; hue[t] = c.Hue; saturation[t] = c.Saturation; brightness[t] = c.Brightness;
            }
        var schema = new Schema.Builder()
            .Field(RunWriter.Field("token", Int32Type.Default)).Field(RunWriter.Field("sentence", Int32Type.Default))
            .Field(RunWriter.Field("position", Int32Type.Default)).Field(RunWriter.Field("position_norm", FloatType.Default))
            .Field(RunWriter.Field("text", StringType.Default)).Field(RunWriter.Field("token_id", Int32Type.Default))
            .Field(RunWriter.Field("is_special", BooleanType.Default)).Field(RunWriter.Field("is_punct", BooleanType.Default))
            .Field(RunWriter.Field("token_length", Int32Type.Default)).Field(RunWriter.Field("sentence_length", Int32Type.Default))
            .Field(RunWriter.Field("image", Int32Type.Default))
            .Field(RunWriter.Field("patch_row", Int32Type.Default)).Field(RunWriter.Field("patch_col", Int32Type.Default))
            .Field(RunWriter.Field("color_r", FloatType.Default)).Field(RunWriter.Field("color_g", FloatType.Default))
            .Field(RunWriter.Field("color_b", FloatType.Default)).Field(RunWriter.Field("hue", FloatType.Default))
            .Field(RunWriter.Field("saturation", FloatType.Default)).Field(RunWriter.Field("brightness", FloatType.Default))
            .Build();
        IArrowArray[] columns =
        [
            RunWriter.Ints(token), RunWriter.Ints(sentence), RunWriter.Ints(position), RunWriter.Floats(positionNorm),
            text.Build(), RunWriter.Ints(Enumerable.Repeat(-1, n)), RunWriter.Bools(isSpecial), RunWriter.Bools(new bool[n]),
            RunWriter.Ints(new int[n]), RunWriter.Ints(Enumerable.Repeat(len, n)),
            RunWriter.Ints(sentence), RunWriter.Ints(patchRow), RunWriter.Ints(patchCol),
            RunWriter.Floats(r), RunWriter.Floats(g), RunWriter.Floats(b),
            RunWriter.Floats(hue), RunWriter.Floats(saturation), RunWriter.Floats(brightness),
        ];
        RunWriter.WriteBatch(path, new RecordBatch(schema, columns, n));
    }

    /// <summary>images.arrow: one row per image with its file's size and its thumbnail (PNG).</summary>
    public static void WriteImages(string path, IReadOnlyList<ImageRow> images)
    {
        var thumbnails = new BinaryArray.Builder();
        foreach (var im in images) thumbnails.Append(im.Thumbnail.AsSpan());
        var schema = new Schema.Builder()
            .Field(RunWriter.Field("image", Int32Type.Default)).Field(RunWriter.Field("path", StringType.Default))
            .Field(RunWriter.Field("width", Int32Type.Default)).Field(RunWriter.Field("height", Int32Type.Default))
            .Field(RunWriter.Field("thumb_width", Int32Type.Default)).Field(RunWriter.Field("thumb_height", Int32Type.Default))
            .Field(RunWriter.Field("thumbnail", BinaryType.Default))
            .Build();
        IArrowArray[] columns =
        [
            RunWriter.Ints(Enumerable.Range(0, images.Count)),
            new StringArray.Builder().AppendRange(images.Select(im => im.Image.RelativePath)).Build(),
            RunWriter.Ints(images.Select(im => im.Image.Width)), RunWriter.Ints(images.Select(im => im.Image.Height)),
            RunWriter.Ints(images.Select(im => im.ThumbWidth)), RunWriter.Ints(images.Select(im => im.ThumbHeight)),
            thumbnails.Build(),
        ];
        RunWriter.WriteBatch(path, new RecordBatch(schema, columns, images.Count));
    }
}
