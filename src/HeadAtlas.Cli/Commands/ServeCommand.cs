using System.CommandLine;

namespace HeadAtlas.Cli.Commands;

// PLACEHOLDER until the 'serve' command is built.
public static class ServeCommand
{
    public static Command Create()
    {
        var command = new Command("serve", "(not built yet)");
        command.SetAction(_ => { Console.Error.WriteLine("error: 'serve' is not built yet"); return 2; });
        return command;
    }
}
