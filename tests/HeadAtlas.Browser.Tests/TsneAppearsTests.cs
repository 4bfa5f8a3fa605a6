using Microsoft.Playwright;

namespace HeadAtlas.Browser.Tests;

/// <summary>A t-SNE file written while the explorer is open becomes selectable without a reload.</summary>
[Collection("browser")]
public sealed class TsneAppearsTests(BrowserFixture fx)
{
    [Fact]
    public async Task TsneIsDisabledUntilItsFileExistsThenShowsThePoints()
    {
        var dir = Path.Combine(Path.GetTempPath(), "headatlas-tsne-" + Guid.NewGuid().ToString("N")[..8]);
        FixtureRun.Write(dir);
        await using var server = await HeadAtlas.Server.RunServer.StartAsync(dir, 0);
        var errors = new List<string>();
        var page = await BrowserFixture.OpenAsync(fx.Browser, server.Url + "#/head/1/2", errors);
        try
        {
            await page.WaitForFunctionAsync("() => window.__headatlas?.state.view === 'head' && window.__headatlas.state.ready");
            // (Playwright's IsDisabled does not look at <option disabled>; read the DOM property.)
            const string tsneDisabled = "() => document.querySelector('[data-testid=method] option[value=tsne]').disabled";
            Assert.True(await page.EvaluateAsync<bool>(tsneDisabled));
            var pcaFirst = await page.EvaluateAsync<double[]>("() => { const p = window.__headatlas.pointScreen(0); return [p.x, p.y]; }");

            FixtureRun.WriteTsne(dir, 1, 2);
            await page.WaitForFunctionAsync($"() => !({tsneDisabled})()", null, new() { Timeout = 10_000 });
            await page.Locator("[data-testid=method]").SelectOptionAsync("tsne");
            await page.WaitForFunctionAsync("() => window.__headatlas.state.projection === 'tsne2d' && window.__headatlas.state.ready");
            Assert.Contains("t-SNE", await page.Locator("[data-testid=head-title]").InnerTextAsync());
            var tsneFirst = await page.EvaluateAsync<double[]>("() => { const p = window.__headatlas.pointScreen(0); return [p.x, p.y]; }");
            Assert.NotEqual(pcaFirst, tsneFirst);
            Assert.Empty(errors);
        }
        finally
        {
            await page.Context.CloseAsync();
            Directory.Delete(dir, recursive: true);
        }
    }
}
