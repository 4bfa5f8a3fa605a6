using System.Diagnostics;

namespace HeadAtlas.Atlas;

/// <summary>
/// Where a run is built before it appears: "{RUN_DIR}.partial-{pid}" next to RUN_DIR, renamed onto RUN_DIR when
/// the base is complete. A partial folder whose process is gone is stale (an interrupted build) and is removed.
/// </summary>
public static class RunFolder
{
    private const string PartialMarker = ".partial-";
    private const string OldMarker = ".old-";

    public static string Normalize(string runDir) =>
        Path.TrimEndingDirectorySeparator(Path.GetFullPath(runDir));

    public static string NewPartial(string runDir)
    {
        string path = runDir + PartialMarker + Environment.ProcessId + "-" + Guid.NewGuid().ToString("N")[..8];
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Removes partial and swapped-out folders of <paramref name="runDir"/> left by builds that are no
    /// longer running, and "*.tmp" files inside the run.</summary>
    public static void RemoveStale(string runDir)
    {
        string? parent = Path.GetDirectoryName(runDir);
        if (parent is null || !Directory.Exists(parent)) return;
        string name = Path.GetFileName(runDir);
        foreach (var dir in Directory.EnumerateDirectories(parent, name + ".*"))
        {
            string suffix = Path.GetFileName(dir)[name.Length..];
            bool ours = suffix.StartsWith(PartialMarker, StringComparison.Ordinal) || suffix.StartsWith(OldMarker, StringComparison.Ordinal);
            if (ours && !OwnerAlive(suffix)) TryDelete(dir);
        }
        if (Directory.Exists(runDir))
            foreach (var tmp in Directory.EnumerateFiles(runDir, "*" + RunWriter.TempSuffix, SearchOption.AllDirectories))
                File.Delete(tmp);
    }

    /// <summary>Moves the finished <paramref name="partial"/> onto <paramref name="runDir"/>, replacing what was there.</summary>
    public static void Publish(string partial, string runDir)
    {
        string? old = null;
        if (Directory.Exists(runDir))
        {
            old = runDir + OldMarker + Environment.ProcessId + "-" + Guid.NewGuid().ToString("N")[..8];
            Directory.Move(runDir, old);
        }
        Directory.Move(partial, runDir);
        if (old is not null) TryDelete(old);
    }

    public static void TryDelete(string dir)
    {
        try { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    // ".partial-{pid}-{random}": the build that owns it is alive while its process is.
    private static bool OwnerAlive(string suffix)
    {
        var parts = suffix.Split('-');
        if (parts.Length < 2 || !int.TryParse(parts[1], out int pid)) return false;
        if (pid == Environment.ProcessId) return false; // this process starts no two builds of one folder at once
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }
}
