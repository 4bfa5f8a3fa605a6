using System.Text.Json;

namespace HeadAtlas.Browser.Tests;

/// <summary>Method (PCA / t-SNE / UMAP) and 2D / 3D offered from what the manifest plans, each enabled only once
/// its file exists; the matrix stays 2D and uses the chosen method's 2D where a head has it.</summary>
[Collection("browser")]
public sealed class ProjectionChoiceTests(BrowserFixture fx)
{
    private const string Option = "([sel, v]) => { const o = document.querySelector(`[data-testid=${sel}] option[value=\"${v}\"]`); return o ? { disabled: o.disabled, text: o.textContent } : null; }";

    private static async Task<(bool Disabled, string Text)?> OptionAsync(Microsoft.Playwright.IPage page, string select, string value)
    {
        var o = await page.EvaluateAsync<JsonElement>(Option, new object[] { select, value });
        return o.ValueKind == JsonValueKind.Null ? null : (o.GetProperty("disabled").GetBoolean(), o.GetProperty("text").GetString()!);
    }

    [Fact]
    public async Task MethodsAndDimensionsBecomeSelectableAsTheirFilesAppear()
    {
        var dir = Path.Combine(Path.GetTempPath(), "headatlas-choice-" + Guid.NewGuid().ToString("N")[..8]);
        FixtureRun.Write(dir, planned: ["pca2d", "pca3d", "tsne2d", "tsne3d", "umap2d"]);
        await using var server = await HeadAtlas.Server.RunServer.StartAsync(dir, 0);
        var errors = new List<string>();
        var page = await BrowserFixture.OpenAsync(fx.Browser, server.Url + "#/head/1/2", errors);
        try
        {
            await PageHelpers.WaitReadyAsync(page, "head", errors);
            int n = ArrowFiles.ReadInts(Path.Combine(dir, "tokens.arrow"), "token").Count;
            // Planned methods only; t-SNE and UMAP not ready yet; PCA has 2D and 3D; UMAP plans no 3D.
            Assert.Equal(["pca", "tsne", "umap"], await page.EvaluateAsync<string[]>("() => Array.from(document.querySelectorAll('[data-testid=method] option')).map(o => o.value)"));
            Assert.Equal((false, "PCA"), await OptionAsync(page, "method", "pca"));
            Assert.Equal((true, "t-SNE (not ready)"), await OptionAsync(page, "method", "tsne"));
            Assert.Equal((true, "UMAP (not ready)"), await OptionAsync(page, "method", "umap"));
            Assert.Equal((false, "3D"), await OptionAsync(page, "dims", "3"));

            // PCA 3D.
            await page.Locator("[data-testid=dims]").SelectOptionAsync("3");
            await page.WaitForFunctionAsync("() => window.__headatlas.state.projection === 'pca3d' && window.__headatlas.state.ready");
            Assert.Contains("PCA 3D", await page.Locator("[data-testid=head-title]").InnerTextAsync());
            Assert.Equal(2 * n, await page.EvaluateAsync<int>("() => window.__headatlas.state.pointsDrawn"));
            Assert.True(await page.EvaluateAsync<bool>("() => window.__headatlas.state.camera !== null"));

            // tsne3d of this head appears (no tsne2d yet): t-SNE becomes selectable, in 3D only.
            FixtureRun.WriteProjection(dir, 1, 2, "tsne3d");
            await page.WaitForFunctionAsync("() => !document.querySelector('[data-testid=method] option[value=tsne]').disabled", null, new() { Timeout = 10_000 });
            await page.Locator("[data-testid=method]").SelectOptionAsync("tsne");
            await page.WaitForFunctionAsync("() => window.__headatlas.state.projection === 'tsne3d' && window.__headatlas.state.ready");
            Assert.Contains("t-SNE 3D", await page.Locator("[data-testid=head-title]").InnerTextAsync());
            Assert.Equal((true, "2D (not ready)"), await OptionAsync(page, "dims", "2"));
            Assert.Equal("tsne", await page.EvaluateAsync<string>("() => window.__headatlas.state.method"));

            // Another head has no t-SNE at all: opening it falls back to PCA (still 3D).
            await page.EvaluateAsync("() => { location.hash = '#/head/0/0'; }");
            await page.WaitForFunctionAsync("() => window.__headatlas.state.head === 0 && window.__headatlas.state.ready");
            Assert.Equal("pca3d", await page.EvaluateAsync<string>("() => window.__headatlas.state.projection"));
            Assert.Equal((true, "t-SNE (not ready)"), await OptionAsync(page, "method", "tsne"));

            // Back on a head with t-SNE, the choice made earlier holds.
            await page.EvaluateAsync("() => { location.hash = '#/head/1/2'; }");
            await page.WaitForFunctionAsync("() => window.__headatlas.state.head === 2 && window.__headatlas.state.ready");
            Assert.Equal("tsne3d", await page.EvaluateAsync<string>("() => window.__headatlas.state.projection"));

            // The matrix is 2D: t-SNE needs a tsne2d somewhere; none yet.
            await page.Locator("[data-testid=back]").ClickAsync();
            await PageHelpers.WaitReadyAsync(page, "matrix", errors);
            Assert.Equal("pca2d", await page.EvaluateAsync<string>("() => window.__headatlas.state.projection"));
            Assert.Equal((true, "t-SNE (not ready)"), await OptionAsync(page, "method", "tsne"));
            FixtureRun.WriteProjection(dir, 0, 1, "tsne2d");
            await page.WaitForFunctionAsync("() => !document.querySelector('[data-testid=method] option[value=tsne]').disabled", null, new() { Timeout = 10_000 });
            await page.Locator("[data-testid=method]").SelectOptionAsync("tsne");
            await page.WaitForFunctionAsync("() => window.__headatlas.state.projection === 'tsne2d' && window.__headatlas.state.ready");
            var shown = await page.EvaluateAsync<Dictionary<string, string>>("() => window.__headatlas.state.matrixFiles");
            Assert.Equal(72, shown.Count);
            Assert.Equal("tsne2d", shown["L0_H1"]);
            Assert.All(shown.Where(kv => kv.Key != "L0_H1"), kv => Assert.Equal("pca2d", kv.Value));
            Assert.Empty(errors);
        }
        finally
        {
            await page.Context.CloseAsync();
            Directory.Delete(dir, recursive: true);
        }
    }
}
