using HeadAtlas.Tensors;

namespace HeadAtlas.Models;

/// <summary>A vision transformer: its tokens are a CLS token and image patches, not text.</summary>
public interface IImageModel : ITransformerModel
{
    /// <summary>Decodes, resizes and normalizes an image file as the model's preprocessor_config.json says.</summary>
    ImageInput LoadImage(string path);

    /// <summary>Runs the model on preprocessed images (<see cref="ImageInput.Pixels"/>, each [channel, height, width]);
    /// returns each image's final hidden states [1 + patches, d_model]. Hooks as in <see cref="ITransformerModel.Forward"/>.</summary>
    IReadOnlyList<Tensor> ForwardImages(IReadOnlyList<Tensor> pixels, IReadOnlyList<HookSet?>? hooks = null);
}

/// <summary>One preprocessed image.</summary>
/// <param name="Pixels">[channel, height, width], normalized.</param>
/// <param name="Tokens">Display names of the tokens: "[CLS]", then "patch r,c" row by row.</param>
public sealed record ImageInput(Tensor Pixels, string[] Tokens, int GridRows, int GridCols);
