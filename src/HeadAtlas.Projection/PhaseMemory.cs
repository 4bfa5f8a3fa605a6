using System.Runtime;

namespace HeadAtlas.Projection;

/// <summary>
/// Memory at the boundaries between the phases of a big projection (kNN graph → P or fuzzy graph → optimization).
///
/// Each phase leaves hundreds of MB of large arrays behind (at 1M points: NN-descent's heaps and candidate lists,
/// t-SNE's conditional probabilities and transposed index). On a machine with plenty of free RAM the GC has no reason
/// to collect them before the next phase allocates its own, so the peak resident size becomes the sum of the phases
/// rather than the largest one (6.8 GB instead of ~3.5 GB for t-SNE of 1M points, bench/projection/README.md "Memory").
/// One blocking full collection that also compacts the large-object heap at each boundary hands them back to the OS;
/// it costs well under a second against phases of tens of seconds, so it is only done above <see cref="MinPoints"/>
/// (small heads in a many-head build would pay it for nothing).
///
/// Set HEADATLAS_MEMORY_TRACE=1 to print the resident size and GC heap at each boundary (stderr), and
/// HEADATLAS_PHASE_GC=0 to skip the collections (to measure what they save).
/// </summary>
public static class PhaseMemory
{
    /// <summary>Below this many points a phase's garbage is small and no collection is forced.</summary>
    public const int MinPoints = 100_000;

    private static readonly bool Tracing = Environment.GetEnvironmentVariable("HEADATLAS_MEMORY_TRACE") is { Length: > 0 } v && v != "0";
    private static readonly bool Collecting = Environment.GetEnvironmentVariable("HEADATLAS_PHASE_GC") != "0";

    /// <summary>Called between phases of a projection of <paramref name="n"/> points, once the previous phase's
    /// arrays are no longer referenced: collects them (above <see cref="MinPoints"/>) and, if tracing, reports.</summary>
    public static void PhaseDone(int n, string phase)
    {
        if (n >= MinPoints && Collecting)
        {
            Trace($"{phase} (before collection)");
            GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
            // Aggressive: also decommits the freed memory right away instead of keeping it for the next allocations.
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        }
        Trace(phase);
    }

    /// <summary>With tracing on, wraps <paramref name="progress"/> to also trace after a few iterations (1, 10, 50, 200);
    /// otherwise returns it as it is.</summary>
    public static IProgress<int>? Watch(IProgress<int>? progress, string what) =>
        Tracing ? new TracingProgress(progress, what) : progress;

    private sealed class TracingProgress(IProgress<int>? inner, string what) : IProgress<int>
    {
        public void Report(int value)
        {
            if (value is 1 or 10 or 50 or 200) Trace($"{what} {value}");
            inner?.Report(value);
        }
    }

    /// <summary>With HEADATLAS_MEMORY_TRACE set, prints VmRSS/VmHWM (Linux /proc/self/status) and the GC's view of the heap to stderr.</summary>
    public static void Trace(string phase)
    {
        if (!Tracing) return;
        string rss = "?", hwm = "?";
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("VmRSS:")) rss = Mb(line);
                else if (line.StartsWith("VmHWM:")) hwm = Mb(line);
            }
        }
        catch (IOException) { } // not Linux: the GC figures still print
        var info = GC.GetGCMemoryInfo();
        double seconds = (DateTime.Now - System.Diagnostics.Process.GetCurrentProcess().StartTime).TotalSeconds;
        Console.Error.WriteLine($"[memory {seconds,6:F0} s] {phase}: VmRSS {rss} MB, VmHWM {hwm} MB; GC heap {info.HeapSizeBytes >> 20} MB " +
                                $"(committed {info.TotalCommittedBytes >> 20} MB, fragmented {info.FragmentedBytes >> 20} MB), " +
                                $"live estimate {GC.GetTotalMemory(false) >> 20} MB, gen2 collections {GC.CollectionCount(2)}");

        static string Mb(string line) => (long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) >> 10).ToString(); // "VmRSS:  123 kB"
    }
}
