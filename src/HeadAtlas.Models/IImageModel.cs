using HeadAtlas.Tensors;

namespace HeadAtlas.Models;

/// <summary>A vision transformer: its tokens are a CLS token and image patches, not text.</summary>
public interface IImageModel : ITransformerModel
{
    /// <summary>Decodes, resizes and normalizes an image file as the model's preprocessor_config.json says.</summary>
    ImageInput LoadImage(string path);

    /// <summary>The patch grid of the model's input: tokens are [CLS] then Rows·Cols patches row by row.</summary>
    (int Rows, int Cols) PatchGrid { get; }

    /// <summary>Runs the model on preprocessed images (<see cref="ImageInput.Pixels"/>, each [channel, height, width]);
    /// returns each image's final hidden states [1 + patches, d_model]. Hooks as in <see cref="ITransformerModel.Forward"/>.</summary>
    IReadOnlyList<Tensor> ForwardImages(IReadOnlyList<Tensor> pixels, IReadOnlyList<HookSet?>? hooks = null);
}

/// <summary>One preprocessed image.</summary>
/// <param name="Pixels">[channel, height, width], normalized.</param>
/// <param name="Tokens">Display names of the tokens: "[CLS]", then "patch r,c" row by row.</param>
public sealed record ImageInput(Tensor Pixels, string[] Tokens, int GridRows, int GridCols)
{
    /// <summary>[height, width, 3] bytes: the image as the model sees it (after resizing) before rescaling and
    /// normalization — from the same resize as <see cref="Pixels"/>. Empty when the model does not provide it.</summary>
    public byte[] Rgb { get; init; } = [];
    /// <summary>Size of the image file in pixels.</summary>
    public int SourceWidth { get; init; }
    public int SourceHeight { get; init; }
    /// <summary>Size of the model's input (of <see cref="Pixels"/> and <see cref="Rgb"/>).</summary>
    public int Height => Pixels.Shape[1];
    public int Width => Pixels.Shape[2];
}
