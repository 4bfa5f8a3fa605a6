using System.Diagnostics;

namespace HeadAtlas.Bench;

internal static class Timing
{
    /// <summary>Seconds per call of <paramref name="action"/>: the median over <paramref name="reps"/> timed calls.</summary>
    public static double Median(Action action, int reps)
    {
        var times = new double[reps];
        for (int r = 0; r < reps; r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            action();
            times[r] = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        }
        Array.Sort(times);
        return times[reps / 2];
    }

    public static int IntOption(string[] args, string name, int fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out int v) ? v : fallback;
    }
}
