namespace HeadAtlas.Atlas;

/// <summary>
/// Where a build reports what it is doing. The library only calls this interface; the CLI renders it with
/// Spectre.Console, a server may log it, tests ignore it. Implementations must be thread-safe: t-SNE of several
/// heads may report at once.
/// </summary>
public interface IBuildProgress
{
    /// <summary>A stage of known size begins, e.g. ("forward pass", 250 sentences) or ("t-SNE L0_H0", 750 iterations).
    /// A <paramref name="transient"/> stage is one of many small ones (one head) that a display may hide once done.</summary>
    IProgressStage Start(string name, int total, bool transient = false);

    /// <summary>Something the user should read (a corpus line was split, sentences were left out).</summary>
    void Warn(string message);
}

public interface IProgressStage
{
    /// <summary>Sets the amount of work done so far (0..total).</summary>
    void Report(int done);
    void Complete();
}

/// <summary>Reports nothing.</summary>
public sealed class SilentProgress : IBuildProgress, IProgressStage
{
    public static readonly SilentProgress Instance = new();
    public IProgressStage Start(string name, int total, bool transient = false) => this;
    public void Warn(string message) { }
    public void Report(int done) { }
    public void Complete() { }
}
