using System.CommandLine;

namespace HeadAtlas.Cli.Commands;

// PLACEHOLDER until the 'build' command is built.
public static class BuildCommand
{
    public static Command Create()
    {
        var command = new Command("build", "(not built yet)");
        command.SetAction(_ => { Console.Error.WriteLine("error: 'build' is not built yet"); return 2; });
        return command;
    }
}
