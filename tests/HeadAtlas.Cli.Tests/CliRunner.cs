namespace HeadAtlas.Cli.Tests;

/// <summary>Runs the real CLI entry point in-process and captures what it prints. Console is process-wide, so every
/// test that uses this is in the one "console" collection (run one at a time).</summary>
public static class CliRunner
{
    private static readonly object Gate = new();

    public static (int Exit, string Out, string Err) Run(params string[] args)
    {
        lock (Gate)
        {
            var oldOut = Console.Out;
            var oldErr = Console.Error;
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            Console.SetOut(stdout);
            Console.SetError(stderr);
            try
            {
                int exit = Program.Main(args).GetAwaiter().GetResult();
                return (exit, stdout.ToString(), stderr.ToString());
            }
            finally
            {
                Console.SetOut(oldOut);
                Console.SetError(oldErr);
            }
        }
    }
}

[CollectionDefinition("console", DisableParallelization = true)]
public sealed class ConsoleCollection;

/// <summary>A fresh folder under the temp directory, deleted afterwards.</summary>
public sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("headatlas-cli-").FullName;
    public string File(string name) => System.IO.Path.Combine(Path, name);
    public void Dispose() { try { Directory.Delete(Path, recursive: true); } catch (IOException) { } }
}
