using HeadAtlas.Projection;

namespace HeadAtlas.Projection.Tests;

public class PhaseMemoryTests
{
    /// <summary>Resident size [bytes] with <paramref name="arrays"/> large arrays of 64 MB filled (garbage once this returns).</summary>
    private static long ResidentWithGarbage(int arrays)
    {
        var garbage = new byte[arrays][];
        for (int a = 0; a < arrays; a++)
        {
            garbage[a] = new byte[64 << 20];
            Array.Fill(garbage[a], (byte)1); // touched, so it is resident
        }
        long resident = Environment.WorkingSet;
        GC.KeepAlive(garbage);
        return resident;
    }

    [Fact]
    public void PhaseBoundaryAboveTheThresholdHandsAPhasesGarbageBack()
    {
        // 512 MB of large arrays, unreferenced once the helper returns: the GC, left alone, keeps most of it committed.
        long withGarbage = ResidentWithGarbage(8);
        Assert.True(withGarbage > 512L << 20, $"setup: resident {withGarbage >> 20} MB");
        PhaseMemory.PhaseDone(PhaseMemory.MinPoints, "test phase");
        long after = Environment.WorkingSet;
        // Other tests running alongside may allocate a little; most of the 512 MB of garbage must be gone.
        Assert.True(after < withGarbage - (384L << 20), $"resident {withGarbage >> 20} MB before the boundary, {after >> 20} MB after");
    }

    [Fact]
    public void WatchPassesEveryReportThrough()
    {
        var seen = new List<int>();
        var progress = PhaseMemory.Watch(new SyncProgress(seen.Add), "test");
        for (int i = 1; i <= 60; i++) progress!.Report(i);
        Assert.Equal(Enumerable.Range(1, 60), seen);
    }

    private sealed class SyncProgress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
