using System.CommandLine;
using HeadAtlas.Cli.Commands;

namespace HeadAtlas.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        var root = new RootCommand("HeadAtlas: see every attention head of a transformer — queries and keys embedded jointly.")
        {
            DemoCommand.Create(),
            BuildCommand.Create(),
            ServeCommand.Create(),
            ActivationsCommand.Create(),
            ProjectCommand.Create(),
            ModelsCommand.Create(),
        };
        try
        {
            return root.Parse(args).Invoke();
        }
        catch (Exception e) when (UserErrors.IsUserError(e))
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}
