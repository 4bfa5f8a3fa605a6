using System.Collections.Concurrent;
using System.Diagnostics;
using HeadAtlas.Atlas;

namespace HeadAtlas.AtlasBench;

/// <summary>
/// An <see cref="IBuildProgress"/> that times every stage from Start to Complete and adds the seconds up per stage
/// kind: a per-head stage is named "{kind} L{l}_H{h}" (e.g. "tsne2d L0_H3"), so its kind is the name without the
/// head. Prints one line per finished head stage, so a long run shows where it is.
/// </summary>
internal sealed class StageClock(Stopwatch wall) : IBuildProgress
{
    private readonly ConcurrentDictionary<string, (double Seconds, int Count)> totals = new();
    private readonly ConcurrentQueue<string> order = new();

    public IReadOnlyList<(string Kind, double Seconds, int Count)> Totals =>
        order.Distinct().Select(k => (k, totals[k].Seconds, totals[k].Count)).ToList();

    public IProgressStage Start(string name, int total, bool transient = false) => new Stage(this, name);

    public void Warn(string message) => Console.WriteLine($"warning: {message}");

    private void Add(string name, double seconds)
    {
        int space = name.LastIndexOf(' ');
        bool perHead = space > 0 && name[(space + 1)..].StartsWith('L') && name.Contains("_H");
        string kind = perHead ? name[..space] : name;
        order.Enqueue(kind);
        totals.AddOrUpdate(kind, (seconds, 1), (_, old) => (old.Seconds + seconds, old.Count + 1));
        if (perHead) Console.WriteLine($"  [{wall.Elapsed.TotalSeconds,7:F1} s] {name}: {seconds:F2} s");
    }

    private sealed class Stage(StageClock owner, string name) : IProgressStage
    {
        private readonly Stopwatch clock = Stopwatch.StartNew();
        private int completed;
        public void Report(int done) { }
        public void Complete()
        {
            if (Interlocked.Exchange(ref completed, 1) == 0) owner.Add(name, clock.Elapsed.TotalSeconds);
        }
    }
}
