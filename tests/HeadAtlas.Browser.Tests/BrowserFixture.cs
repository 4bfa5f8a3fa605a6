using HeadAtlas.Server;
using Microsoft.Playwright;

namespace HeadAtlas.Browser.Tests;

/// <summary>
/// One headless Debian chromium (driven by Playwright, no browser download) and one server on a real small run
/// (MiniLM on ten sentences, built by AtlasBuilder), shared by the browser tests.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    // SwiftShader gives WebGL2 without a GPU; the network flags keep chromium from calling out (the network is closed).
    private static readonly string[] ChromiumArgs =
    [
        "--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
        "--disable-quic", "--disable-default-apps", "--disable-extensions",
    ];

    public IPlaywright Playwright { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;
    public RunServer Server { get; private set; } = null!;
    public string RunDir { get; private set; } = null!;
    private string _parent = null!;

    public async Task InitializeAsync()
    {
        EnsureExplorerBuilt();
        if (!File.Exists(ChromiumPath))
            throw new InvalidOperationException($"{ChromiumPath} is missing: install Debian's chromium (apt-get install chromium; ./headatlas test does it)");
        _parent = Path.Combine(Path.GetTempPath(), "headatlas-browser-" + Guid.NewGuid().ToString("N")[..8]);
        RunDir = MiniLmRun.Build(_parent);
        Server = await RunServer.StartAsync(RunDir, 0);
        Browser = await LaunchAsync();
    }

    public async Task<IBrowser> LaunchAsync()
    {
        Playwright ??= await Microsoft.Playwright.Playwright.CreateAsync();
        return await Playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ChromiumArgs,
        });
    }

    public static void EnsureExplorerBuilt()
    {
        if (!RunServer.ExplorerBuilt)
            throw new InvalidOperationException(
                $"The web explorer is not built ({RunServer.ExplorerDirectory}/index.html is missing). Run " +
                "'npm ci && npm run build' in web/, then rebuild the tests; './headatlas test' does both.");
    }

    /// <summary>A fresh page at <paramref name="url"/>; browser console errors land in <paramref name="errors"/>.</summary>
    public static async Task<IPage> OpenAsync(IBrowser browser, string url, List<string> errors)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
            DeviceScaleFactor = 1,
        });
        var page = await context.NewPageAsync();
        page.Console += (_, m) => { if (m.Type == "error") errors.Add(m.Text); };
        page.PageError += (_, e) => errors.Add(e);
        await page.GotoAsync(url);
        return page;
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.CloseAsync();
        Playwright?.Dispose();
        if (Server is not null) await Server.DisposeAsync();
        try { Directory.Delete(_parent, recursive: true); } catch (IOException) { }
    }
}

[CollectionDefinition("browser")]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>;
