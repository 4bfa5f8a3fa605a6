using System.CommandLine;

namespace HeadAtlas.Cli.Commands;

// PLACEHOLDER until the 'project' command is built.
public static class ProjectCommand
{
    public static Command Create()
    {
        var command = new Command("project", "(not built yet)");
        command.SetAction(_ => { Console.Error.WriteLine("error: 'project' is not built yet"); return 2; });
        return command;
    }
}
