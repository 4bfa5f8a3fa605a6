using System.CommandLine;
using HeadAtlas.Models;

namespace HeadAtlas.Cli.Commands;

/// <summary><c>headatlas models</c>: the built-in models, and what a model folder must hold.</summary>
public static class ModelsCommand
{
    public static Command Create()
    {
        var command = new Command("models", "List the built-in models and say what a Hugging Face model folder must hold.");
        command.SetAction(_ =>
        {
            Console.WriteLine("Built-in models (give the name to --model):");
            Console.WriteLine($"  {BuiltinModels.MiniLm,-10} all-MiniLM-L6-v2: BERT, 6 layers x 12 heads, d_model 384");
            Console.WriteLine();
            Console.WriteLine("Or give --model PATH:");
            Console.WriteLine($"  PATH/ : {ModelLoader.FolderRequirements}.");
            Console.WriteLine("  FILE.onnx : a BERT graph like the built-in one, with vocab.txt beside it.");
            return 0;
        });
        return command;
    }
}
