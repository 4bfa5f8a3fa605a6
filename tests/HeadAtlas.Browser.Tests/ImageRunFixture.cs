using HeadAtlas.Server;

namespace HeadAtlas.Browser.Tests;

/// <summary>One image run (<see cref="ImageRun"/>) and a server on it, shared by the image tests.</summary>
public sealed class ImageRunFixture : IAsyncLifetime
{
    public string Parent { get; } = Path.Combine(Path.GetTempPath(), "headatlas-images-" + Guid.NewGuid().ToString("N")[..8]);
    public string RunDir { get; private set; } = null!;
    public RunServer Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        RunDir = ImageRun.Build(Parent);
        Server = await RunServer.StartAsync(RunDir, 0);
    }

    public string RunFile(string relative) => Path.Combine(RunDir, relative);

    public async Task DisposeAsync()
    {
        if (Server is not null) await Server.DisposeAsync();
        try { Directory.Delete(Parent, recursive: true); } catch (IOException) { }
    }
}
