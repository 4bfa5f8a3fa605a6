using System.Diagnostics;
using System.Runtime.InteropServices;

namespace HeadAtlas.Bench;

internal static partial class Timing
{
    /// <summary>Wall-clock seconds per call of <paramref name="action"/>: the median over <paramref name="reps"/> timed calls.</summary>
    public static double Median(Action action, int reps) => MedianOf(action, reps, cpu: false);

    /// <summary>
    /// CPU seconds of the whole process (all its threads) per call, median over <paramref name="reps"/>. On a shared,
    /// overloaded machine wall time mostly measures waiting for a core; CPU time measures the work.
    /// </summary>
    public static double MedianCpu(Action action, int reps) => MedianOf(action, reps, cpu: true);

    private static double MedianOf(Action action, int reps, bool cpu)
    {
        var times = new double[reps];
        for (int r = 0; r < reps; r++)
        {
            if (cpu)
            {
                double c0 = ProcessCpuSeconds();
                action();
                times[r] = ProcessCpuSeconds() - c0;
            }
            else
            {
                long t0 = Stopwatch.GetTimestamp();
                action();
                times[r] = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            }
        }
        Array.Sort(times);
        return times[reps / 2];
    }

    public static int IntOption(string[] args, string name, int fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out int v) ? v : fallback;
    }

    public static bool Flag(string[] args, string name) => Array.IndexOf(args, name) >= 0;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec { public long Seconds; public long Nanoseconds; }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    private const int ClockProcessCpuTimeId = 2; // Linux CLOCK_PROCESS_CPUTIME_ID: ns-resolution CPU time of all threads

    private static double ProcessCpuSeconds()
    {
        if (OperatingSystem.IsLinux() && ClockGetTime(ClockProcessCpuTimeId, out var ts) == 0)
            return ts.Seconds + ts.Nanoseconds * 1e-9;
        return Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
    }
}
