using System.CommandLine;
using HeadAtlas.Cli.Commands;

namespace HeadAtlas.Cli;

public static class Program
{
    public static async Task<int> Main(string[] args)
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
            // Our handler, not System.CommandLine's: a user's mistake prints one line, not a stack trace.
            // Signals are handled by Interrupt (one mechanism), not by the parser.
            return await root.Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null });
        }
        catch (Exception e) when (UserErrors.IsUserError(e))
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("interrupted");
            return 130;
        }
    }
}
