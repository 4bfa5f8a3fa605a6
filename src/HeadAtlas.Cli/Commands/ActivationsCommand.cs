using System.CommandLine;

namespace HeadAtlas.Cli.Commands;

// PLACEHOLDER until the 'activations' command is built.
public static class ActivationsCommand
{
    public static Command Create()
    {
        var command = new Command("activations", "(not built yet)");
        command.SetAction(_ => { Console.Error.WriteLine("error: 'activations' is not built yet"); return 2; });
        return command;
    }
}
