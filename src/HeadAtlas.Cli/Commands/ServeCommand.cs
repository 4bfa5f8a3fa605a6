using System.CommandLine;
using System.Runtime.InteropServices;
using HeadAtlas.Server;

namespace HeadAtlas.Cli.Commands;

/// <summary>headatlas serve RUN_DIR [--port P]: serves a run folder and the explorer on 127.0.0.1 until Ctrl+C.</summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var runDir = new Argument<string>("RUN_DIR") { Description = "a run folder written by 'headatlas build'" };
        var port = new Option<int>("--port")
        {
            Description = "port on 127.0.0.1 (0 picks a free one)",
            DefaultValueFactory = _ => 0,
        };
        var command = new Command("serve", "Serve a run folder and the explorer on 127.0.0.1 (until Ctrl+C).")
        {
            runDir, port,
        };
        command.SetAction(async (parse, cancel) =>
        {
            RunServer server;
            try
            {
                server = await RunServer.StartAsync(parse.GetValue(runDir)!, parse.GetValue(port), cancel);
            }
            catch (ServerInputException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
            await using (server)
            {
                if (!RunServer.ExplorerBuilt)
                    Console.Error.WriteLine("warning: the explorer is not built (web/dist missing); only /api works");
                Console.WriteLine($"Serving {server.Run.Root}");
                Console.WriteLine($"Open {server.Url}   (Ctrl+C stops)");
                using var stop = new Interrupt(cancel);
                try
                {
                    await Task.Delay(Timeout.Infinite, stop.Token);
                }
                catch (OperationCanceledException)
                {
                }
                Console.WriteLine("Stopped.");
            }
            return 0;
        });
        return command;
    }
}
