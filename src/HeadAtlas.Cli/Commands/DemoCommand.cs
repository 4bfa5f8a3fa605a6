using System.CommandLine;

namespace HeadAtlas.Cli.Commands;

// PLACEHOLDER until the 'demo' command is built.
public static class DemoCommand
{
    public static Command Create()
    {
        var command = new Command("demo", "(not built yet)");
        command.SetAction(_ => { Console.Error.WriteLine("error: 'demo' is not built yet"); return 2; });
        return command;
    }
}
