using System.Text.Json;

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
        string full = Path.GetFullPath(outPath);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string temp = $"{full}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            using (var json = new Utf8JsonWriter(stream))
            {
                json.WriteStartObject();
                json.WriteString("model", model.Info.Name);
                json.WriteString("image", Path.GetFullPath(imagePath));
                json.WriteStartArray("tokens");
                foreach (var t in image.Tokens) json.WriteStringValue(t);
                json.WriteEndArray();
                json.WriteStartArray("ids");
                json.WriteEndArray();
                json.WriteBoolean("truncated", false);
                json.WriteStartObject("activations");
                foreach (var hook in hooks)
                {
                    var tensor = set.Captured[hook];
                    json.WriteStartObject(hook);
                    json.WriteStartArray("shape");
                    foreach (int d in tensor.Shape) json.WriteNumberValue(d);
                    json.WriteEndArray();
                    json.WriteStartArray("data");
                    foreach (float v in tensor.Data) json.WriteNumberValue(v); // a ViT has no masked (−∞) scores
                    json.WriteEndArray();
                    json.WriteEndObject();
                }
                json.WriteEndObject();
                json.WriteEndObject();
            }
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
        return image.Tokens.Length;
    }
}
