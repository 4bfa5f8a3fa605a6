using System.Text.Json;
using Microsoft.Playwright;

namespace HeadAtlas.Browser.Tests;

/// <summary>Small page queries shared by the head-view tests (all through window.__headatlas).</summary>
public static class PageHelpers
{
    public static async Task WaitReadyAsync(IPage page, string view, List<string> errors, int timeoutMs = 60_000)
    {
        try
        {
            await page.WaitForFunctionAsync("v => window.__headatlas && window.__headatlas.state.view === v && window.__headatlas.state.ready",
                view, new PageWaitForFunctionOptions { Timeout = timeoutMs });
        }
        catch (TimeoutException)
        {
            var state = await page.EvaluateAsync<JsonElement>("() => window.__headatlas && window.__headatlas.state");
            throw new Xunit.Sdk.XunitException($"view '{view}' never became ready; state {state}; console errors: {string.Join(" | ", errors)}");
        }
    }

    /// <summary>Waits until a frame after the current one has been drawn.</summary>
    public static async Task NextFrameAsync(IPage page, int framesBefore) =>
        await page.WaitForFunctionAsync("f => window.__headatlas.state.frames > f", framesBefore);

    public static Task<int> FramesAsync(IPage page) => page.EvaluateAsync<int>("() => window.__headatlas.state.frames");

    public static async Task<double[]> ScreenAsync(IPage page, int row) =>
        await page.EvaluateAsync<double[]>("r => { const p = window.__headatlas.pointScreen(r); return [p.x, p.y]; }", row);

    public static async Task<double[]> AllScreenAsync(IPage page) =>
        await page.EvaluateAsync<double[]>("() => window.__headatlas.screenPoints()");

    /// <summary>A row whose point has no other point within <paramref name="px"/> on screen and lies inside the
    /// canvas, chosen among <paramref name="candidates"/> (all rows when null); −1 if none.</summary>
    public static Task<int> IsolatedRowAsync(IPage page, int[]? candidates = null, double px = 12) => page.EvaluateAsync<int>(@"([cand, px]) => {
        const h = window.__headatlas, p = h.screenPoints(), rows = p.length / 2;
        const r = document.querySelector('[data-testid=head-canvas]').getBoundingClientRect();
        const list = cand ?? Array.from({ length: rows }, (_, i) => i);
        for (const i of list) {
            if (!(p[2*i] > r.left + 10 && p[2*i] < r.right - 10 && p[2*i+1] > r.top + 10 && p[2*i+1] < r.bottom - 10)) continue;
            let min = Infinity;
            for (let j = 0; j < rows; j++) if (j !== i) min = Math.min(min, Math.hypot(p[2*i] - p[2*j], p[2*i+1] - p[2*j+1]));
            if (min > px) return i;
        }
        return -1;
    }", new object?[] { candidates, px });

    /// <summary>The canvas as an image, and its page box.</summary>
    public static async Task<(PngImage Image, LocatorBoundingBoxResult Box)> CanvasAsync(IPage page)
    {
        var canvas = page.Locator("[data-testid=head-canvas]");
        return (PngImage.Decode(await canvas.ScreenshotAsync()), (await canvas.BoundingBoxAsync())!);
    }

    /// <summary>Saves a screenshot under bin/…/screenshots/ for a person to look at.</summary>
    public static async Task SaveScreenshotAsync(IPage page, string name)
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(dir);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(dir, name + ".png") });
    }
}
