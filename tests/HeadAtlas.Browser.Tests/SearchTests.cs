using Microsoft.Playwright;

namespace HeadAtlas.Browser.Tests;

/// <summary>The token search box: its count matches tokens.arrow (exact and prefix), matching points are drawn
/// opaque over the rest, the others are dimmed.</summary>
[Collection("browser")]
public sealed class SearchTests(BrowserFixture fx)
{
    // Same normalization the explorer documents: case and word-piece marks ignored.
    private static string Norm(string s) => (s.StartsWith("##") ? s[2..] : s.StartsWith('Ġ') || s.StartsWith('▁') ? s[1..] : s).Trim().ToLowerInvariant();

    [Fact]
    public async Task SearchCountsAndHighlightsEveryMatchingToken()
    {
        var errors = new List<string>();
        var page = await BrowserFixture.OpenAsync(fx.Browser, fx.Server.Url + "#/head/1/6", errors);
        try
        {
            await PageHelpers.WaitReadyAsync(page, "head", errors);
            var texts = ArrowFiles.ReadStrings(Path.Combine(fx.RunDir, "tokens.arrow"), "text");
            int n = texts.Count;
            int exact = texts.Count(t => Norm(t) == "the"), prefix = texts.Count(t => Norm(t).StartsWith("th"));
            Assert.True(exact > 1 && prefix > exact, $"corpus: {exact} 'the', {prefix} 'th…'");

            var before = (await PageHelpers.CanvasAsync(page)).Image;
            int frames = await PageHelpers.FramesAsync(page);
            await page.Locator("[data-testid=search]").FillAsync("The");
            await page.WaitForFunctionAsync("f => window.__headatlas.state.search && window.__headatlas.state.frames > f", frames);
            Assert.Equal($"{exact} tokens · {2 * exact} points", await page.Locator("[data-testid=search-count]").InnerTextAsync());
            Assert.Equal(exact, await page.EvaluateAsync<int>("() => window.__headatlas.state.search.tokens"));
            await PageHelpers.SaveScreenshotAsync(page, "search-the");

            // A matching query point is drawn opaque query-green; an unmatched one is dimmed to a pale tint.
            int[] hits = Enumerable.Range(0, n).Where(t => Norm(texts[t]) == "the").ToArray();
            int[] misses = Enumerable.Range(0, n).Where(t => Norm(texts[t]) != "the" && !Norm(texts[t]).StartsWith("th")).ToArray();
            int hit = await PageHelpers.IsolatedRowAsync(page, hits, 10), miss = await PageHelpers.IsolatedRowAsync(page, misses, 10);
            Assert.True(hit >= 0 && miss >= 0, "no isolated points to look at");
            var (image, box) = await PageHelpers.CanvasAsync(page);
            (byte R, byte G, byte B, byte A) Pixel(double[] p) => image[(int)(p[0] - box.X), (int)(p[1] - box.Y)];
            var h = Pixel(await PageHelpers.ScreenAsync(page, hit));
            Assert.True(Math.Abs(h.R - 26) < 15 && Math.Abs(h.G - 152) < 15 && Math.Abs(h.B - 80) < 15, $"matched query pixel {h}");
            var m = Pixel(await PageHelpers.ScreenAsync(page, miss));
            Assert.True(m.R > 215 && m.G > 225 && m.B > 215, $"unmatched query pixel {m} is not dimmed");
            Assert.True(before[(int)((await PageHelpers.ScreenAsync(page, miss))[0] - box.X), (int)((await PageHelpers.ScreenAsync(page, miss))[1] - box.Y)].R < 150,
                "the unmatched point was not drawn strongly before the search");

            // Prefix mode finds more.
            frames = await PageHelpers.FramesAsync(page);
            await page.Locator("[data-testid=search-mode]").SelectOptionAsync("prefix");
            await page.Locator("[data-testid=search]").FillAsync("th");
            await page.WaitForFunctionAsync("p => window.__headatlas.state.search?.tokens === p", prefix);
            Assert.Equal($"{prefix} tokens · {2 * prefix} points", await page.Locator("[data-testid=search-count]").InnerTextAsync());

            // No match, then an empty box: everything back.
            await page.Locator("[data-testid=search]").FillAsync("zzzq");
            await Assertions.Expect(page.Locator("[data-testid=search-count]")).ToHaveTextAsync("no match");
            await page.Locator("[data-testid=search]").FillAsync("");
            await page.WaitForFunctionAsync("() => window.__headatlas.state.search === null");
            Assert.Equal("", await page.Locator("[data-testid=search-count]").InnerTextAsync());
            Assert.Empty(errors);
        }
        finally { await page.Context.CloseAsync(); }
    }
}
