using System.Text.Json;
using Microsoft.Playwright;

namespace HeadAtlas.Browser.Tests;

/// <summary>
/// The explorer in real headless chromium against the real server on a real MiniLM run (6 layers × 12 heads). Every check compares what the
/// page shows (pixels, DOM) with the run's own files read here with Apache.Arrow.
/// </summary>
[Collection("browser")]
public sealed class ExplorerTests(BrowserFixture fx) : IAsyncLifetime
{
    private readonly List<string> _errors = [];
    private IPage _page = null!;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_page is not null) await _page.Context.CloseAsync();
    }

    private string RunFile(string relative) => Path.Combine(fx.RunDir, relative);

    private async Task OpenAsync(string hash = "")
    {
        _page = await BrowserFixture.OpenAsync(fx.Browser, fx.Server.Url + hash, _errors);
    }

    private async Task WaitReadyAsync(string view)
    {
        try
        {
            await _page.WaitForFunctionAsync(
                "v => window.__headatlas && window.__headatlas.state.view === v && window.__headatlas.state.ready",
                view, new PageWaitForFunctionOptions { Timeout = 60_000 });
        }
        catch (TimeoutException)
        {
            var state = await _page.EvaluateAsync<JsonElement>("() => window.__headatlas && window.__headatlas.state");
            throw new Xunit.Sdk.XunitException($"view '{view}' never became ready; state {state}; console errors: {string.Join(" | ", _errors)}");
        }
    }

    /// <summary>Saves a full-page screenshot under bin/…/screenshots/ for a person to look at.</summary>
    private async Task SaveScreenshotAsync(string name)
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(dir);
        await _page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(dir, name + ".png") });
    }

    private Task<T> Eval<T>(string js, object? arg = null) => _page.EvaluateAsync<T>(js, arg);

    [Fact]
    public async Task MatrixShowsEveryHeadAsThumbnailsInOneCanvas()
    {
        await OpenAsync();
        await WaitReadyAsync("matrix");

        await SaveScreenshotAsync("matrix");
        Assert.Equal(1, await _page.Locator("#matrix canvas").CountAsync());
        Assert.Equal(6 * 12, await _page.Locator("[data-testid=head-cell]").CountAsync());
        int n = ArrowFiles.ReadInts(RunFile("tokens.arrow"), "token").Count;
        // The run is small, so no thinning: every query and key of all 72 heads.
        Assert.Equal(72 * 2 * n, await Eval<int>("() => window.__headatlas.state.pointsDrawn"));

        var canvas = _page.Locator("[data-testid=matrix-canvas]");
        var box = (await canvas.BoundingBoxAsync())!;
        var image = PngImage.Decode(await canvas.ScreenshotAsync());
        var cells = await Eval<JsonElement>("() => window.__headatlas.matrixCells()");
        Assert.Equal(72, cells.GetArrayLength());
        foreach (var cell in cells.EnumerateArray())
        {
            int x0 = (int)Math.Ceiling(cell.GetProperty("x").GetDouble() - box.X), y0 = (int)Math.Ceiling(cell.GetProperty("y").GetDouble() - box.Y);
            int x1 = x0 + (int)cell.GetProperty("width").GetDouble() - 1, y1 = y0 + (int)cell.GetProperty("height").GetDouble() - 1;
            int green = 0, pink = 0;
            for (int y = Math.Max(0, y0); y < Math.Min(image.Height, y1); y++)
            for (int x = Math.Max(0, x0); x < Math.Min(image.Width, x1); x++)
            {
                var (r, g, b, _) = image[x, y];
                if (g > r + 40 && g > b + 20) green++;
                if (r > g + 60 && b > g + 10) pink++;
            }
            var name = $"L{cell.GetProperty("layer")}_H{cell.GetProperty("head")}";
            Assert.True(green >= 20, $"{name}: only {green} query-green pixels in its thumbnail");
            Assert.True(pink >= 20, $"{name}: only {pink} key-pink pixels in its thumbnail");
        }
        Assert.Empty(_errors);
    }

    [Fact]
    public async Task ClickingAHeadOpensItsHeadView()
    {
        await OpenAsync();
        await WaitReadyAsync("matrix");
        await _page.Locator("[data-testid=head-cell][data-layer='3'][data-head='7']").ClickAsync();
        await WaitReadyAsync("head");

        Assert.Equal(3, await Eval<int>("() => window.__headatlas.state.layer"));
        Assert.Equal(7, await Eval<int>("() => window.__headatlas.state.head"));
        Assert.Contains("Layer 3, head 7", await _page.Locator("[data-testid=head-title]").InnerTextAsync());
        int n = ArrowFiles.ReadInts(RunFile("tokens.arrow"), "token").Count;
        Assert.Equal(2 * n, await Eval<int>("() => window.__headatlas.state.pointsDrawn"));
        // The manifest lists tsne2d but this run has no t-SNE file: not selectable.
        Assert.True(await Eval<bool>("() => document.querySelector('[data-testid=method] option[value=tsne]').disabled"));

        // Back to the matrix.
        await _page.Locator("[data-testid=back]").ClickAsync();
        await WaitReadyAsync("matrix");
        Assert.Empty(_errors);
    }

    /// <summary>A row of the head's projection whose point has no other point within 12 px on screen.</summary>
    private async Task<int> IsolatedPointAsync(bool query) => await Eval<int>(@"query => {
        const h = window.__headatlas, p = h.screenPoints(), rows = p.length / 2, n = rows / 2;
        for (let i = query ? 0 : n; i < (query ? n : rows); i++) {
            let min = Infinity;
            for (let j = 0; j < rows; j++) if (j !== i) min = Math.min(min, Math.hypot(p[2*i] - p[2*j], p[2*i+1] - p[2*j+1]));
            if (min > 12) return i;
        }
        return -1;
    }", query);

    private async Task<(float X, float Y)> ScreenOfAsync(int row)
    {
        var p = await Eval<JsonElement>("row => window.__headatlas.pointScreen(row)", row);
        return ((float)p.GetProperty("x").GetDouble(), (float)p.GetProperty("y").GetDouble());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task HoveringAPointShowsItsToken(bool query)
    {
        await OpenAsync("#/head/2/5");
        await WaitReadyAsync("head");
        var texts = ArrowFiles.ReadStrings(RunFile("tokens.arrow"), "text");
        var positions = ArrowFiles.ReadInts(RunFile("tokens.arrow"), "position");
        int n = texts.Count;

        int row = await IsolatedPointAsync(query);
        Assert.True(row >= 0, "no isolated point to hover");
        var (x, y) = await ScreenOfAsync(row);
        await _page.Mouse.MoveAsync(x - 30, y - 30);
        await _page.Mouse.MoveAsync(x, y, new MouseMoveOptions { Steps = 3 });

        var tooltip = _page.Locator("[data-testid=tooltip]");
        await Assertions.Expect(tooltip).ToBeVisibleAsync();
        await SaveScreenshotAsync(query ? "hover-query" : "hover-key");
        int token = row % n;
        Assert.Equal(texts[token], await _page.Locator("[data-testid=tooltip-token]").InnerTextAsync());
        var detail = await _page.Locator("[data-testid=tooltip-detail]").InnerTextAsync();
        Assert.StartsWith(query ? "query" : "key", detail);
        Assert.Contains($"position {positions[token]} ", detail);
        Assert.Equal(token, await Eval<int>("() => window.__headatlas.state.hovered.token"));

        // Moving away hides it.
        var box = (await _page.Locator("[data-testid=head-canvas]").BoundingBoxAsync())!;
        await _page.Mouse.MoveAsync(box.X + box.Width + 50, box.Y + 10);
        await Assertions.Expect(tooltip).ToBeHiddenAsync();
        Assert.Empty(_errors);
    }

    [Fact]
    public async Task ClickingAQueryDrawsItsAttentionAndFillsTheSentencePanel()
    {
        const int layer = 4, head = 1;
        await OpenAsync($"#/head/{layer}/{head}");
        await WaitReadyAsync("head");
        var texts = ArrowFiles.ReadStrings(RunFile("tokens.arrow"), "text");
        var sentenceOf = ArrowFiles.ReadInts(RunFile("tokens.arrow"), "sentence");
        var positionOf = ArrowFiles.ReadInts(RunFile("tokens.arrow"), "position");
        var firstToken = ArrowFiles.ReadInts(RunFile("sentences.arrow"), "first_token");
        var weights = ArrowFiles.ReadFloatLists(RunFile($"heads/L{layer}_H{head}/attention.arrow"), "weights");

        int token = await IsolatedPointAsync(query: true);
        Assert.True(token >= 0, "no isolated query point to click");
        var before = PngImage.Decode(await _page.Locator("[data-testid=head-canvas]").ScreenshotAsync());
        var (x, y) = await ScreenOfAsync(token);
        await _page.Mouse.ClickAsync(x, y);
        await _page.WaitForFunctionAsync("t => { const s = window.__headatlas.state; return s.selected && s.selected.token === t && s.lines.length > 0; }", token);

        int sentence = sentenceOf[token], first = firstToken[sentence], len = weights[token].Length;
        // Lines from the query to its top-2 keys with weight ≥ 0.05, strongest first, opacity = weight.
        var expected = weights[token].Select((w, k) => (Key: first + k, Weight: w)).Where(p => p.Weight >= 0.05f)
            .OrderByDescending(p => p.Weight).Take(2).ToList();
        var lines = await Eval<JsonElement>("() => window.__headatlas.state.lines");
        Assert.Equal(expected.Count, lines.GetArrayLength());
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(token, lines[i].GetProperty("query").GetInt32());
            Assert.Equal(expected[i].Key, lines[i].GetProperty("key").GetInt32());
            Assert.Equal(expected[i].Weight, lines[i].GetProperty("weight").GetSingle(), 5);
        }

        // The sentence panel: the sentence's tokens as queries and as keys, in order.
        var sentenceTexts = texts.Skip(first).Take(len).ToList();
        Assert.Equal(sentenceTexts, await _page.Locator("[data-testid=sentence-query]").AllTextContentsAsync());
        Assert.Equal(sentenceTexts, await _page.Locator("[data-testid=sentence-key]").AllTextContentsAsync());
        Assert.Contains("selected", await _page.Locator($"[data-testid=sentence-query][data-pos='{positionOf[token]}']").GetAttributeAsync("class") ?? "");
        // A line for every query→key weight ≥ 0.01 of the sentence, its opacity that weight.
        var drawn = await Eval<JsonElement>(@"() => Array.from(document.querySelectorAll('[data-testid=attention-line]'))
            .map(l => [+l.dataset.q, +l.dataset.k, +l.getAttribute('stroke-opacity')])");
        var want = new Dictionary<(int, int), float>();
        for (int q = 0; q < len; q++)
        for (int k = 0; k < len; k++)
            if (weights[first + q][k] >= 0.01f) want[(q, k)] = weights[first + q][k];
        Assert.Equal(want.Count, drawn.GetArrayLength());
        foreach (var line in drawn.EnumerateArray())
        {
            var key = (line[0].GetInt32(), line[1].GetInt32());
            Assert.True(want.ContainsKey(key), $"unexpected line {key}");
            Assert.Equal(want[key], line[2].GetSingle(), 5);
        }

        // The canvas changed: other sentences dimmed, the sentence highlighted, lines drawn.
        await _page.WaitForFunctionAsync("f => window.__headatlas.state.frames > f", await Eval<int>("() => window.__headatlas.state.frames - 1"));
        await SaveScreenshotAsync("head-selected");
        var after = PngImage.Decode(await _page.Locator("[data-testid=head-canvas]").ScreenshotAsync());
        int changed = 0;
        for (int py = 0; py < Math.Min(before.Height, after.Height); py++)
        for (int px = 0; px < Math.Min(before.Width, after.Width); px++)
            if (before[px, py] != after[px, py]) changed++;
        Assert.True(changed > 500, $"only {changed} pixels changed after the click");

        // Each line is really on the canvas: along its middle, gray pixels as dark as its weight makes them
        // (color 30 at opacity = weight over the white background).
        var canvasBox = (await _page.Locator("[data-testid=head-canvas]").BoundingBoxAsync())!;
        int checkedLines = 0;
        for (int i = 0; i < expected.Count; i++)
        {
            var (qx, qy) = await ScreenOfAsync(token);
            var (kx, ky) = await ScreenOfAsync(texts.Count + expected[i].Key);
            if (Math.Sqrt((kx - qx) * (kx - qx) + (ky - qy) * (ky - qy)) < 40) continue; // too short to sample
            double gray = 255 - expected[i].Weight * 225;
            int hits = 0;
            for (int step = 0; step <= 8; step++)
            {
                double t = 0.3 + 0.05 * step;
                int px = (int)(qx + t * (kx - qx) - canvasBox.X), py = (int)(qy + t * (ky - qy) - canvasBox.Y);
                bool hit = false;
                for (int dy = -1; dy <= 1 && !hit; dy++)
                for (int dx = -1; dx <= 1 && !hit; dx++)
                {
                    var (r, g, b, _) = after[Math.Clamp(px + dx, 0, after.Width - 1), Math.Clamp(py + dy, 0, after.Height - 1)];
                    hit = Math.Abs(r - g) < 12 && Math.Abs(g - b) < 12 && Math.Abs(r - gray) < 20;
                }
                if (hit) hits++;
            }
            Assert.True(hits >= 5, $"line {i} (weight {expected[i].Weight:F3}): gray ≈ {gray:F0} found at {hits} of 9 points along it");
            checkedLines++;
        }
        Assert.True(checkedLines > 0, "no line long enough to check on screen");

        // Back to the matrix and into the same head again: no selection left over.
        await _page.Locator("[data-testid=back]").ClickAsync();
        await WaitReadyAsync("matrix");
        await _page.Locator($"[data-testid=head-cell][data-layer='{layer}'][data-head='{head}']").ClickAsync();
        await WaitReadyAsync("head");
        Assert.Equal(2 * texts.Count, await Eval<int>("() => window.__headatlas.state.pointsDrawn"));
        Assert.Equal(0, await _page.Locator("[data-testid=attention-line]").CountAsync());
        Assert.Empty(_errors);
    }
}
