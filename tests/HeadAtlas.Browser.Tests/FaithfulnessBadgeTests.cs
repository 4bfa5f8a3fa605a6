using System.Globalization;
using System.Text.Json;
using Microsoft.Playwright;

namespace HeadAtlas.Browser.Tests;

/// <summary>The faithfulness of the shown projection (heads/L{l}_H{h}/metrics.json): a badge in the head view, a
/// number in every matrix cell, "—" when unknown, updated when metrics.json is rewritten.</summary>
[Collection("browser")]
public sealed class FaithfulnessBadgeTests(BrowserFixture fx, ImageRunFixture images) : IClassFixture<ImageRunFixture>
{
    private static double? Faithfulness(string runDir, int layer, int head, string projection)
    {
        var path = Path.Combine(runDir, "heads", $"L{layer}_H{head}", "metrics.json");
        if (!File.Exists(path)) return null;
        var table = JsonDocument.Parse(File.ReadAllText(path)).RootElement.GetProperty("faithfulness");
        return table.TryGetProperty(projection, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
    }

    private static double ParseBadge(string text)
    {
        Assert.StartsWith("faithfulness ", text);
        return double.Parse(text["faithfulness ".Length..], CultureInfo.InvariantCulture);
    }

    private static async Task AssertBadgeAsync(IPage page, string runDir, int layer, int head)
    {
        var want = Faithfulness(runDir, layer, head, "pca2d");
        Assert.NotNull(want);
        var text = (await page.Locator("[data-testid=faithfulness]").TextContentAsync())!;
        Assert.InRange(ParseBadge(text), want.Value - 0.005 - 1e-9, want.Value + 0.005 + 1e-9);
    }

    [Fact]
    public async Task TextRunShowsTheHeadsFaithfulnessInTheHeadViewAndTheMatrix()
    {
        var errors = new List<string>();
        var page = await BrowserFixture.OpenAsync(fx.Browser, fx.Server.Url, errors);
        try
        {
            await PageHelpers.WaitReadyAsync(page, "matrix", errors);
            var cells = await page.EvaluateAsync<string[][]>("() => [...document.querySelectorAll('[data-testid=head-cell]')].map(c => [c.dataset.layer, c.dataset.head, c.querySelector('[data-testid=cell-faithfulness]').textContent])");
            Assert.Equal(72, cells.Length);
            foreach (var c in cells)
            {
                var want = Faithfulness(fx.RunDir, int.Parse(c[0]), int.Parse(c[1]), "pca2d");
                Assert.NotNull(want);
                Assert.InRange(double.Parse(c[2], CultureInfo.InvariantCulture), want.Value - 0.005 - 1e-9, want.Value + 0.005 + 1e-9);
            }
            await PageHelpers.SaveScreenshotAsync(page, "matrix-faithfulness");

            await page.Locator("[data-testid=head-cell][data-layer=\"2\"][data-head=\"5\"]").ClickAsync();
            await PageHelpers.WaitReadyAsync(page, "head", errors);
            await AssertBadgeAsync(page, fx.RunDir, 2, 5);
            Assert.Empty(errors);
        }
        finally { await page.Context.CloseAsync(); }
    }

    [Fact]
    public async Task ImageRunBadgeIsUnknownWithoutMetricsAndFollowsTheFileWhenItIsWritten()
    {
        // A copy of the image run in which head L0_H1 has no metrics.json yet.
        var dir = Path.Combine(Path.GetTempPath(), "headatlas-faith-" + Guid.NewGuid().ToString("N")[..8]);
        CopyFolder(images.RunDir, dir);
        var metrics = Path.Combine(dir, "heads", "L0_H1", "metrics.json");
        File.Delete(metrics);
        await using var server = await HeadAtlas.Server.RunServer.StartAsync(dir, 0);
        var errors = new List<string>();
        var page = await BrowserFixture.OpenAsync(fx.Browser, server.Url + "#/head/1/3", errors);
        try
        {
            await PageHelpers.WaitReadyAsync(page, "head", errors);
            await AssertBadgeAsync(page, dir, 1, 3);

            await page.Locator("[data-testid=back]").ClickAsync();
            await PageHelpers.WaitReadyAsync(page, "matrix", errors);
            Assert.Equal("—", await page.Locator("[data-testid=head-cell][data-layer=\"0\"][data-head=\"1\"] [data-testid=cell-faithfulness]").TextContentAsync());
            await page.Locator("[data-testid=head-cell][data-layer=\"0\"][data-head=\"1\"]").ClickAsync();
            await PageHelpers.WaitReadyAsync(page, "head", errors);
            Assert.Equal("faithfulness —", await page.Locator("[data-testid=faithfulness]").TextContentAsync());

            // The build writes metrics.json (temp file, then rename) after the projection: the page picks it up.
            File.WriteAllText(metrics + ".tmp", "{\"faithfulness\": {\"pca2d\": 0.777}}");
            File.Move(metrics + ".tmp", metrics);
            await page.WaitForFunctionAsync("() => document.querySelector('[data-testid=faithfulness]').textContent === 'faithfulness 0.78'",
                null, new PageWaitForFunctionOptions { Timeout = 15_000 });
            Assert.Empty(errors);
        }
        finally
        {
            await page.Context.CloseAsync();
            Directory.Delete(dir, recursive: true);
        }
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
