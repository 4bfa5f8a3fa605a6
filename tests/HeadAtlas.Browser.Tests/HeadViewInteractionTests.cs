using System.Diagnostics;
using System.Text.Json;
using Xunit.Abstractions;

namespace HeadAtlas.Browser.Tests;

/// <summary>Pan and zoom, coloring by position, and the matrix's level of detail on a larger corpus.</summary>
[Collection("browser")]
public sealed class HeadViewInteractionTests(BrowserFixture fx, ITestOutputHelper output)
{
    private static async Task<double[]> ScreenAsync(Microsoft.Playwright.IPage page, int row) =>
        await page.EvaluateAsync<double[]>("r => { const p = window.__headatlas.pointScreen(r); return [p.x, p.y]; }", row);

    private static double Dist(double[] a, double[] b) => Math.Sqrt((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]));

    [Fact]
    public async Task WheelZoomsAroundTheCursorAndDragPans()
    {
        var errors = new List<string>();
        var page = await BrowserFixture.OpenAsync(fx.Browser, fx.Server.Url + "#/head/0/3", errors);
        try
        {
            await page.WaitForFunctionAsync("() => window.__headatlas?.state.view === 'head' && window.__headatlas.state.ready");
            var box = (await page.Locator("[data-testid=head-canvas]").BoundingBoxAsync())!;
            float cx = box.X + box.Width / 2, cy = box.Y + box.Height / 2;
            var a0 = await ScreenAsync(page, 0);
            var b0 = await ScreenAsync(page, 1);

            await page.Mouse.MoveAsync(cx, cy);
            await page.Mouse.WheelAsync(0, -400); // zoom in
            await page.WaitForFunctionAsync("d => { const p = window.__headatlas.pointScreen(0); return p.x !== d[0] || p.y !== d[1]; }", a0);
            var a1 = await ScreenAsync(page, 0);
            var b1 = await ScreenAsync(page, 1);
            double d0 = Dist(a0, b0), d1 = Dist(a1, b1);
            Assert.True(d1 > 1.5 * d0, $"distance between two points {d0:F1} → {d1:F1} px after zooming in");
            // The point under the cursor stays put: distances from the cursor scale by the same factor.
            double f = d1 / d0;
            // (within 2 px: the browser delivers whole-pixel mouse positions)
            Assert.InRange(a1[0] - cx - (a0[0] - cx) * f, -2 * f, 2 * f);
            Assert.InRange(a1[1] - cy - (a0[1] - cy) * f, -2 * f, 2 * f);

            await page.Mouse.MoveAsync(cx, cy);
            await page.Mouse.DownAsync();
            await page.Mouse.MoveAsync(cx + 60, cy + 25, new() { Steps = 4 });
            await page.Mouse.UpAsync();
            var a2 = await ScreenAsync(page, 0);
            Assert.InRange(a2[0] - a1[0], 58, 62);
            Assert.InRange(a2[1] - a1[1], 23, 27);
            Assert.Empty(errors);
        }
        finally { await page.Context.CloseAsync(); }
    }

    [Fact]
    public async Task ColorByPositionUsesAGreenAndAPinkRamp()
    {
        var errors = new List<string>();
        var page = await BrowserFixture.OpenAsync(fx.Browser, fx.Server.Url + "#/head/5/0", errors);
        try
        {
            await page.WaitForFunctionAsync("() => window.__headatlas?.state.view === 'head' && window.__headatlas.state.ready");
            var canvas = page.Locator("[data-testid=head-canvas]");
            var byKind = PngImage.Decode(await canvas.ScreenshotAsync());
            int frames = await page.EvaluateAsync<int>("() => window.__headatlas.state.frames");
            await page.Locator("[data-testid=color-by]").SelectOptionAsync("position");
            await page.WaitForFunctionAsync("f => window.__headatlas.state.frames > f && window.__headatlas.state.colorBy === 'position'", frames);
            var byPosition = PngImage.Decode(await canvas.ScreenshotAsync());

            // By kind: two colors only. By position: many shades, still greens and pinks.
            static HashSet<(byte, byte, byte)> Colors(PngImage img)
            {
                var set = new HashSet<(byte, byte, byte)>();
                for (int y = 0; y < img.Height; y++)
                for (int x = 0; x < img.Width; x++)
                {
                    var (r, g, b, _) = img[x, y];
                    if (r < 250 || g < 250 || b < 250) set.Add((r, g, b));
                }
                return set;
            }
            var kindColors = Colors(byKind);
            var positionColors = Colors(byPosition);
            Assert.True(positionColors.Count > kindColors.Count, $"{positionColors.Count} colors by position vs {kindColors.Count} by kind");
            Assert.Contains(positionColors, c => c.Item2 > c.Item1 + 40);   // green
            Assert.Contains(positionColors, c => c.Item1 > c.Item2 + 60);   // pink
            Assert.Empty(errors);
        }
        finally { await page.Context.CloseAsync(); }
    }

    [Fact]
    public async Task MatrixThinsLargeHeadsToItsPointBudget()
    {
        var dir = Path.Combine(Path.GetTempPath(), "headatlas-large-" + Guid.NewGuid().ToString("N")[..8]);
        var clock = Stopwatch.StartNew();
        FixtureRun.Write(dir, repeat: 100); // 1 200 sentences, ~12.6k tokens, ~25k points per head, 1.8M in all
        output.WriteLine($"fixture written in {clock.Elapsed.TotalSeconds:F1} s");
        await using var server = await HeadAtlas.Server.RunServer.StartAsync(dir, 0);
        var errors = new List<string>();
        clock.Restart();
        var page = await BrowserFixture.OpenAsync(fx.Browser, server.Url, errors);
        try
        {
            await page.WaitForFunctionAsync("() => window.__headatlas?.state.view === 'matrix' && window.__headatlas.state.ready",
                null, new() { Timeout = 120_000 });
            output.WriteLine($"matrix of 72 heads ready (loaded, thinned, drawn) {clock.Elapsed.TotalSeconds:F1} s after opening the page");
            int drawn = await page.EvaluateAsync<int>("() => window.__headatlas.state.pointsDrawn");
            // 150 000 points in all at most: 2 083 per head, as 1 041 queries and their 1 041 keys.
            Assert.Equal(72 * 2 * 1041, drawn);
            var cells = await page.EvaluateAsync<JsonElement>("() => window.__headatlas.matrixCells()");
            Assert.Equal(72, cells.GetArrayLength());
            Assert.Empty(errors);
        }
        finally
        {
            await page.Context.CloseAsync();
            Directory.Delete(dir, recursive: true);
        }
    }
}
