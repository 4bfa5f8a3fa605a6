using System.CommandLine;
using HeadAtlas.Atlas;
using HeadAtlas.Models;
using HeadAtlas.Server;

namespace HeadAtlas.Cli.Commands;

/// <summary>
/// <c>headatlas demo [--port P]</c>: the built-in MiniLM on the Moby-Dick demo corpus. Builds the run's base once
/// (cached under .headatlas/runs/demo), serves it as soon as PCA of every head is ready, and finishes the slower
/// projections in the background (the explorer switches each head over as its files appear).
/// </summary>
public static class DemoCommand
{
    public static Command Create()
    {
        var port = new Option<int>("--port") { Description = "port on 127.0.0.1 (0 picks a free one)", DefaultValueFactory = _ => 8080 };
        var parallelHeads = new Option<int>("--parallel-heads") { Description = "Heads embedded by t-SNE at once", DefaultValueFactory = _ => new BuildSettings().TsneParallelHeads };
        var command = new Command("demo", "Build (once) and serve the demo atlas: built-in MiniLM on sentences of Moby-Dick") { port, parallelHeads };
        command.SetAction(async (parse, invocationCancel) =>
        {
            using var interrupt = new Interrupt(invocationCancel);
            var cancel = interrupt.Token;
            try
            {
                var settings = new BuildSettings { TsneParallelHeads = Math.Max(1, parse.GetValue(parallelHeads)) };
                var model = BuiltinModels.Load(BuiltinModels.MiniLm);
                string corpusPath = DemoCorpus.EnsureFile(model);
                string runDir = Path.Combine(DemoCorpus.Home(), ".headatlas", "runs", "demo");
                var manifest = await Task.Run(() => ConsoleProgress.Run(p => AtlasBuilder.BuildBase(model, corpusPath, runDir, settings, overwrite: true, p, cancel)), cancel);

                await using var server = await RunServer.StartAsync(runDir, parse.GetValue(port), cancel);
                Console.WriteLine($"Demo atlas: {manifest.Corpus.Sentences} sentences, {manifest.Corpus.Tokens} tokens, {manifest.Heads.Count} heads ({runDir})");
                Console.WriteLine($"Open {server.Url}   (Ctrl+C stops)");

                await Task.Run(() => ConsoleProgress.Run(p => { AtlasBuilder.CompleteProjections(runDir, settings.TsneParallelHeads, p, cancel); return 0; }), cancel);
                Console.WriteLine($"All projections ready. Still serving {server.Url}   (Ctrl+C stops)");
                await Task.Delay(Timeout.Infinite, cancel);
                return 0;
            }
            catch (OperationCanceledException)
            {
                Console.Error.WriteLine("stopped: the files written so far are whole; the next demo resumes");
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
}
