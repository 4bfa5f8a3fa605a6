using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Logging;

namespace HeadAtlas.Server;

/// <summary>
/// Serves one run folder and the built explorer on 127.0.0.1 (never on other interfaces).
/// <code>await using var server = await RunServer.StartAsync("runs/demo", port: 0); Console.WriteLine(server.Url);</code>
/// </summary>
public sealed class RunServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    /// <summary>e.g. "http://127.0.0.1:5123/"</summary>
    public string Url { get; }
    public int Port { get; }
    public ServedRun Run { get; }

    /// <summary>Where the built explorer (web/dist) is copied beside this assembly.</summary>
    public static string ExplorerDirectory => Path.Combine(AppContext.BaseDirectory, "explorer");

    public static bool ExplorerBuilt => File.Exists(Path.Combine(ExplorerDirectory, "index.html"));

    private RunServer(WebApplication app, ServedRun run, int port)
    {
        _app = app;
        Run = run;
        Port = port;
        Url = $"http://127.0.0.1:{port}/";
    }

    /// <summary>Starts serving; port 0 picks a free port. Throws <see cref="ServerInputException"/> for a bad run
    /// folder or a port in use.</summary>
    public static async Task<RunServer> StartAsync(string runDir, int port = 0, CancellationToken cancel = default)
    {
        if (port is < 0 or > 65535)
            throw new ServerInputException($"port {port} is not a valid port (0..65535; 0 picks a free one)");
        var run = ServedRun.Open(runDir);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
            Args = [],
        });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        builder.Services.AddSingleton(run);
        builder.Services.AddSingleton(new AttentionReader(run));

        var app = builder.Build();
        if (ExplorerBuilt)
        {
            var files = new PhysicalFileProvider(ExplorerDirectory);
            app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
            app.UseStaticFiles(new StaticFileOptions { FileProvider = files });
        }
        else
        {
            app.MapGet("/", () => Microsoft.AspNetCore.Http.Results.Text(
                "The explorer is not built: run 'npm ci && npm run build' in web/ (./headatlas does it), then rebuild."));
        }
        ApiEndpoints.Map(app);

        try
        {
            await app.StartAsync(cancel);
        }
        catch (IOException e)
        {
            await app.DisposeAsync();
            throw new ServerInputException(
                $"port {port} on 127.0.0.1 is already in use: choose another with --port, or --port 0 for a free one", e);
        }

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new RunServer(app, run, new Uri(address).Port);
    }

    /// <summary>Synchronous form of <see cref="StartAsync"/>.</summary>
    public static RunServer Start(string runDir, int port = 0) => StartAsync(runDir, port).GetAwaiter().GetResult();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
