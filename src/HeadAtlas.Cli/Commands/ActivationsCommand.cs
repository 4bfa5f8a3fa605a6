using System.CommandLine;
using HeadAtlas.Models;

namespace HeadAtlas.Cli.Commands;

/// <summary><c>headatlas activations --model minilm --text "..." --hooks H1,H2 --out FILE.json</c></summary>
public static class ActivationsCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = $"built-in model ({string.Join(", ", BuiltinModels.Names)}), a Hugging Face folder or a BERT .onnx file (see `headatlas models`)", DefaultValueFactory = _ => BuiltinModels.MiniLm };
        var text = new Option<string>("--text") { Description = "the text to run (text models)" };
        var image = new Option<string>("--image") { Description = "the image to run (vision models: PNG, JPEG, ...)" };
        var hooks = new Option<string>("--hooks") { Description = "comma-separated hook names, e.g. blocks.0.attn.hook_q,blocks.0.attn.hook_pattern", Required = true };
        var output = new Option<string>("--out") { Description = "JSON file to write", Required = true };
        var command = new Command("activations", "Run a model on one text and write the named hooks' activations as JSON.")
        {
            model, text, image, hooks, output,
        };
        command.SetAction(parse =>
        {
            try
            {
                string outPath = parse.GetValue(output)!;
                var written = Run(parse.GetValue(model)!, parse.GetValue(text), parse.GetValue(image), parse.GetValue(hooks)!, outPath);
                Console.WriteLine($"wrote {written.Hooks} hook(s) for {written.Tokens} tokens to {outPath}");
                return 0;
            }
            catch (Exception e) when (UserErrors.IsUserError(e))
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    /// <summary>The command's work, callable without a process: loads the model, runs it, writes the JSON.</summary>
    public static (int Tokens, int Hooks) Run(string modelName, string text, string hookList, string outPath) =>
        Run(modelName, text, null, hookList, outPath);

    /// <summary>As above, for a text (text models) or an image (vision models): exactly one of the two.</summary>
    public static (int Tokens, int Hooks) Run(string modelName, string? text, string? imagePath, string hookList, string outPath)
    {
        if ((text is null) == (imagePath is null)) throw new ModelException("give either --text (text models) or --image FILE (vision models)");
        using var model = ModelLoader.Load(modelName);
        var hooks = ActivationExport.ParseHookList(hookList);
        if (model is IImageModel vision)
        {
            if (imagePath is null) throw new ModelException($"{model.Info.Name} is a vision model: give --image FILE instead of --text");
            return (ImageActivationExport.Write(vision, imagePath, hooks, outPath), hooks.Count);
        }
        if (text is null) throw new ModelException($"{model.Info.Name} is a text model: give --text instead of --image");
        ActivationExport.CheckHooks(model, hooks);
        ActivationExport.Write(model, text, hooks, outPath);
        return (model.Tokenize(text).Ids.Length, hooks.Count);
    }
}
