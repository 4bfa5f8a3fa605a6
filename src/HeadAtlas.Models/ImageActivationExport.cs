namespace HeadAtlas.Models;

/// <summary>
/// <see cref="ActivationExport"/> for vision models: runs one image and writes the same JSON, with the tokens
/// "[CLS]", "patch r,c", ... and no ids. Behind <c>activations --image FILE</c>.
/// </summary>
public static class ImageActivationExport
{
    public static int Write(IImageModel model, string imagePath, IReadOnlyList<string> hooks, string outPath)
    {
        ActivationExport.CheckHooks(model, hooks);
        var image = model.LoadImage(imagePath);
        var set = new HookSet().Capture(hooks);
        model.ForwardImages([image.Pixels], [set]);
        ActivationExport.WriteJson(outPath, model.Info.Name, imagePath, image.Tokens, [], truncated: false, hooks, set.Captured);
        return image.Tokens.Length;
    }
}
