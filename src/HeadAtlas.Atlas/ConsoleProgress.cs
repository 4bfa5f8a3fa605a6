using System.Diagnostics;
using Spectre.Console;

namespace HeadAtlas.Atlas;

/// <summary>
/// Renders build progress on the terminal with Spectre.Console: one bar per stage (and per head while its t-SNE
/// runs); a finished stage leaves one line with its wall time.
/// </summary>
public sealed class ConsoleProgress : IBuildProgress
{
    private readonly ProgressContext _context;

    private ConsoleProgress(ProgressContext context) => _context = context;

    /// <summary>Runs <paramref name="work"/> under a live progress display.</summary>
    public static T Run<T>(Func<IBuildProgress, T> work)
    {
        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(true)
            .HideCompleted(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx => result = work(new ConsoleProgress(ctx)));
        return result;
    }

    public IProgressStage Start(string name, int total, bool transient = false) =>
        new Stage(_context.AddTask(Markup.Escape(name), maxValue: Math.Max(total, 1)), name, transient);

    public void Warn(string message) => AnsiConsole.MarkupLineInterpolated($"[yellow]warning:[/] {message}");

    private sealed class Stage(ProgressTask task, string name, bool transient) : IProgressStage
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private int _completed;

        public void Report(int done) => task.Value = done;

        public void Complete()
        {
            if (Interlocked.Exchange(ref _completed, 1) == 1) return;
            task.Value = task.MaxValue;
            task.StopTask();
            if (!transient) AnsiConsole.MarkupLineInterpolated($"[green]done[/] {name} [grey]({_clock.Elapsed.TotalSeconds:F1} s)[/]");
        }
    }
}
