using System.Globalization;
using Microsoft.Playwright;

namespace HeadAtlas.Browser.Tests;

/// <summary>
/// The explorer on an image run (<see cref="ImageRunFixture"/>): image colour modes, the thumbnail tooltip, the image
/// panel's heat overlay and selecting a query from it — each checked against the run's own files and the test
/// images' known pixels, in what chromium really drew.
/// </summary>
[Collection("browser")]
public sealed class ImageViewTests(BrowserFixture fx, ImageRunFixture run) : IClassFixture<ImageRunFixture>
{
    private const int Layer = 1, Head = 2;
    private static readonly int[] Heat = [255, 220, 0];
    private const double HeatMaxOpacity = 0.85;

    private sealed record TokenInfo(int Image, int Position, int Row, int Col, float R, float G, float B,
        float Hue, float Saturation, float Brightness);

    private List<TokenInfo> Tokens()
    {
        var f = run.RunFile("tokens.arrow");
        var image = ArrowFiles.ReadInts(f, "image");
        var position = ArrowFiles.ReadInts(f, "position");
        var row = ArrowFiles.ReadInts(f, "patch_row");
        var col = ArrowFiles.ReadInts(f, "patch_col");
        var r = ArrowFiles.ReadFloats(f, "color_r");
        var g = ArrowFiles.ReadFloats(f, "color_g");
        var b = ArrowFiles.ReadFloats(f, "color_b");
        var hue = ArrowFiles.ReadFloats(f, "hue");
        var sat = ArrowFiles.ReadFloats(f, "saturation");
        var bright = ArrowFiles.ReadFloats(f, "brightness");
        return Enumerable.Range(0, image.Count)
            .Select(t => new TokenInfo(image[t], position[t], row[t], col[t], r[t], g[t], b[t], hue[t], sat[t], bright[t])).ToList();
    }

    private async Task<IPage> OpenHeadAsync(List<string> errors)
    {
        var page = await BrowserFixture.OpenAsync(fx.Browser, run.Server.Url + $"#/head/{Layer}/{Head}", errors);
        await PageHelpers.WaitReadyAsync(page, "head", errors);
        return page;
    }

    private static async Task SelectModeAsync(IPage page, string mode)
    {
        int frames = await PageHelpers.FramesAsync(page);
        await page.Locator("[data-testid=color-by]").SelectOptionAsync(mode);
        await page.WaitForFunctionAsync("([m, f]) => window.__headatlas.state.colorBy === m && window.__headatlas.state.frames > f", new object[] { mode, frames });
    }

    private static Task<int[][]> ColorsAsync(IPage page) =>
        page.EvaluateAsync<int[][]>("() => { const h = window.__headatlas, n = h.screenPoints().length / 2, out = []; for (let i = 0; i < n; i++) out.push(h.colorOf(i)); return out; }");

    private static Task<string[]> LegendLabelsAsync(IPage page) =>
        page.EvaluateAsync<string[]>("() => Array.from(document.querySelectorAll('[data-testid=legend-entry]')).map(e => e.textContent)");

    /// <summary>HSV hue 0..1 of an RGB colour (bytes).</summary>
    private static double HueOf(int[] c)
    {
        double r = c[0] / 255.0, g = c[1] / 255.0, b = c[2] / 255.0, max = Math.Max(r, Math.Max(g, b)), d = max - Math.Min(r, Math.Min(g, b));
        double h = max == r ? (g - b) / d : max == g ? 2 + (b - r) / d : 4 + (r - g) / d;
        return (h / 6 + 1) % 1;
    }

    private static double CyclicDistance(double a, double b) { double d = Math.Abs(a - b) % 1; return Math.Min(d, 1 - d); }

    [Fact]
    public async Task ImageColorModesFollowTheRunsPatchColumns()
    {
        var errors = new List<string>();
        var page = await OpenHeadAsync(errors);
        try
        {
            var tokens = Tokens();
            int n = tokens.Count;
            Assert.Equal(3 * ImageRun.Tokens, n);

            // Image modes offered, text-only modes hidden.
            var modes = await page.EvaluateAsync<string[]>("() => Array.from(document.querySelectorAll('[data-testid=color-by] option')).map(o => o.value)");
            Assert.Equal(["kind", "position", "patchColor", "hue", "brightness", "patchRow", "patchCol", "sentence", "norm"], modes);

            // Patch colour: every point in its patch's mean colour, query and key alike.
            await SelectModeAsync(page, "patchColor");
            var colors = await ColorsAsync(page);
            for (int t = 0; t < n; t++)
            {
                int[] expected = [(int)Math.Round(255 * tokens[t].R), (int)Math.Round(255 * tokens[t].G), (int)Math.Round(255 * tokens[t].B)];
                for (int ch = 0; ch < 3; ch++) Assert.InRange(colors[t][ch], expected[ch] - 1, expected[ch] + 1);
                Assert.Equal(colors[t], colors[n + t]);
            }
            // On the canvas: an isolated point of a red patch is red, of a blue patch blue (opacity 210/255 over white).
            var (image, box) = await PageHelpers.CanvasAsync(page);
            await PageHelpers.SaveScreenshotAsync(page, "image-patch-colour");
            foreach (var (want, name) in new[] { (new[] { 255, 0, 0 }, "red"), (new[] { 0, 0, 255 }, "blue") })
            {
                var rows = Enumerable.Range(0, 2 * n).Where(r => tokens[r % n].Position > 0
                    && Math.Abs(255 * tokens[r % n].R - want[0]) < 1 && Math.Abs(255 * tokens[r % n].G - want[1]) < 1 && Math.Abs(255 * tokens[r % n].B - want[2]) < 1).ToArray();
                Assert.True(rows.Length > 4, $"too few {name} patches");
                int row = await PageHelpers.IsolatedRowAsync(page, rows, 8);
                Assert.True(row >= 0, $"no isolated {name} point");
                var p = await PageHelpers.ScreenAsync(page, row);
                var (r, g, b, _) = image[(int)(p[0] - box.X), (int)(p[1] - box.Y)];
                double Over(int v) => v * 210 / 255.0 + 45;
                Assert.True(Math.Abs(r - Over(want[0])) < 12 && Math.Abs(g - Over(want[1])) < 12 && Math.Abs(b - Over(want[2])) < 12,
                    $"pixel ({r},{g},{b}) at a {name} patch's point");
            }
            Assert.Contains("mean colour", await page.Locator("[data-testid=legend]").TextContentAsync());

            // Hue: the colour's own hue is the patch's (cyclic wheel); patches without a clear hue grey.
            await SelectModeAsync(page, "hue");
            colors = await ColorsAsync(page);
            for (int t = 0; t < n; t++)
            {
                Assert.Equal(colors[t], colors[n + t]);
                if (tokens[t].Saturation < 0.1f) Assert.Equal([150, 150, 150], colors[t]);
                else Assert.True(CyclicDistance(HueOf(colors[t]), tokens[t].Hue) < 0.02,
                    $"token {t}: hue {tokens[t].Hue}, drawn {string.Join(',', colors[t])} (hue {HueOf(colors[t]):F3})");
            }
            Assert.Contains(tokens, t => t.Hue > 0.6 && t.Hue < 0.7 && t.Saturation > 0.5);  // blue patches exist
            Assert.Contains(await LegendLabelsAsync(page), l => l.StartsWith("hue 0 → 1"));

            // Brightness: grey, 20 (black) → 220 (brightest), linear in the run's brightness.
            await SelectModeAsync(page, "brightness");
            colors = await ColorsAsync(page);
            for (int t = 0; t < 2 * n; t++)
            {
                double want = 20 + 200 * tokens[t % n].Brightness;
                Assert.True(colors[t][0] == colors[t][1] && colors[t][1] == colors[t][2], $"row {t} is not grey");
                Assert.InRange(colors[t][0], want - 1, want + 1);
            }

            // Patch row / column: [CLS] in its own legend colour; queries greens and keys pinks, darker further down
            // (right); the same row (column) the same colour.
            foreach (var (mode, index) in new (string, Func<TokenInfo, int>)[] { ("patchRow", t => t.Row), ("patchCol", t => t.Col) })
            {
                await SelectModeAsync(page, mode);
                colors = await ColorsAsync(page);
                var cls = await page.EvaluateAsync<string>("() => [...document.querySelectorAll('[data-testid=legend-entry]')].find(e => e.textContent === '[CLS]').dataset.color");
                var legend = string.Join(" | ", await LegendLabelsAsync(page));
                Assert.Contains(mode == "patchRow" ? "row 0 (top) → 3 (bottom)" : "column 0 (left) → 3 (right)", legend);
                for (int t = 0; t < n; t++)
                {
                    if (index(tokens[t]) < 0) { Assert.Equal(cls, string.Join(',', colors[t])); Assert.Equal(colors[t], colors[n + t]); continue; }
                    Assert.True(colors[t][1] > colors[t][0], $"{mode}: query {t} not green");
                    Assert.True(colors[n + t][0] > colors[n + t][1], $"{mode}: key {t} not pink");
                    foreach (int u in Enumerable.Range(0, n).Where(u => index(tokens[u]) >= 0))
                    {
                        int a = index(tokens[t]), b = index(tokens[u]);
                        if (a == b) Assert.Equal(colors[t], colors[u]);
                        else if (a < b) Assert.True(colors[t][1] > colors[u][1], $"{mode} {a} not lighter than {b}");
                    }
                }
            }
            Assert.Empty(errors);
        }
        finally { await page.Context.CloseAsync(); }
    }

    /// <summary>A query row (token) of a patch whose point has no neighbour within 12 px; its image, row, column.</summary>
    private async Task<(int Token, TokenInfo Info)> IsolatedPatchQueryAsync(IPage page, List<TokenInfo> tokens, Func<TokenInfo, bool>? where = null)
    {
        // Row ≠ column, so a swap of the two would show.
        var candidates = Enumerable.Range(0, tokens.Count)
            .Where(t => tokens[t].Position > 0 && tokens[t].Row != tokens[t].Col && (where?.Invoke(tokens[t]) ?? true)).ToArray();
        int token = await PageHelpers.IsolatedRowAsync(page, candidates, 12);
        Assert.True(token >= 0, "no isolated patch query point");
        return (token, tokens[token]);
    }

    private static string ImagePath(int image) => TestImages.All.Select(i => i.Path).Order(StringComparer.Ordinal).ElementAt(image);

    private static (int R, int G, int B) ImagePixel(int image, int x, int y)
    {
        var c = TestImages.All.OrderBy(i => i.Path, StringComparer.Ordinal).ElementAt(image).Pixel(x, y);
        return (c.Red, c.Green, c.Blue);
    }

    [Fact]
    public async Task TooltipShowsTheThumbnailWithTheHoveredPatchOutlined()
    {
        var errors = new List<string>();
        var page = await OpenHeadAsync(errors);
        try
        {
            var tokens = Tokens();
            var (token, info) = await IsolatedPatchQueryAsync(page, tokens);
            var p = await PageHelpers.ScreenAsync(page, token);
            await page.Mouse.MoveAsync((float)p[0], (float)p[1]);
            await page.WaitForSelectorAsync("[data-testid=tooltip-thumb][data-loaded=true]");
            Assert.Equal($"patch {info.Row},{info.Col}", await page.Locator("[data-testid=tooltip-token]").TextContentAsync());
            Assert.Equal($"query · row {info.Row}, column {info.Col} · image {info.Image}", await page.Locator("[data-testid=tooltip-detail]").TextContentAsync());
            Assert.Equal(ImagePath(info.Image), await page.Locator("[data-testid=tooltip-path]").TextContentAsync());

            // 16 × 16 thumbnail shown at 128 × 128: 8 px per image pixel, 32 px per patch. The page may place it at
            // a fraction of a pixel: shoot a whole-pixel area around it and measure from its true corner (ox, oy).
            var box = (await page.Locator("[data-testid=tooltip-thumb]").BoundingBoxAsync())!;
            Assert.Equal(128, box.Width, 0.01);
            Assert.Equal(128, box.Height, 0.01);
            int cx = (int)Math.Floor(box.X), cy = (int)Math.Floor(box.Y);
            double ox = box.X - cx, oy = box.Y - cy;
            var shot = PngImage.Decode(await page.ScreenshotAsync(new() { Clip = new() { X = cx, Y = cy, Width = 130, Height = 130 } }));
            await PageHelpers.SaveScreenshotAsync(page, "image-tooltip");
            const int patch = 32;
            double x0 = ox + info.Col * patch, y0 = oy + info.Row * patch;
            // The outline's cyan pixels (no test image has green) frame exactly the hovered patch, 2 px wide inside it.
            int minX = int.MaxValue, minY = int.MaxValue, maxX = -1, maxY = -1;
            for (int y = 0; y < shot.Height; y++)
            for (int x = 0; x < shot.Width; x++)
            {
                var (r, g, b, _) = shot[x, y];
                if (!(g > 180 && b > 180 && r < 80)) continue;
                minX = Math.Min(minX, x); maxX = Math.Max(maxX, x); minY = Math.Min(minY, y); maxY = Math.Max(maxY, y);
                double dx = x + 0.5 - x0, dy = y + 0.5 - y0;
                bool inside = dx > -1 && dx < patch + 1 && dy > -1 && dy < patch + 1;
                bool onRing = dx < 3.5 || patch - dx < 3.5 || dy < 3.5 || patch - dy < 3.5;
                Assert.True(inside && onRing, $"cyan pixel at ({x},{y}) off the outline of patch {info.Row},{info.Col} at ({x0},{y0})");
            }
            Assert.InRange(minX, x0 - 1, x0 + 1);
            Assert.InRange(minY, y0 - 1, y0 + 1);
            Assert.InRange(maxX, x0 + patch - 2, x0 + patch);
            Assert.InRange(maxY, y0 + patch - 2, y0 + patch);
            // Elsewhere the thumbnail shows the image itself, the right way round: each image pixel's centre.
            for (int iy = 0; iy < TestImages.Size; iy++)
            for (int ix = 0; ix < TestImages.Size; ix++)
            {
                // ≥ 3.5 px from every patch edge, so off the outline
                var (r, g, b, _) = shot[(int)(ox + 8 * ix + 4), (int)(oy + 8 * iy + 4)];
                var want = ImagePixel(info.Image, ix, iy);
                Assert.True(Math.Abs(r - want.R) <= 3 && Math.Abs(g - want.G) <= 3 && Math.Abs(b - want.B) <= 3,
                    $"thumbnail pixel ({ix},{iy}) shows ({r},{g},{b}), the image has {want}");
            }

            // A key point says "key".
            int key = await PageHelpers.IsolatedRowAsync(page, Enumerable.Range(tokens.Count, tokens.Count).Where(r => tokens[r - tokens.Count].Position > 0).ToArray(), 12);
            Assert.True(key >= 0);
            var kp = await PageHelpers.ScreenAsync(page, key);
            await page.Mouse.MoveAsync((float)kp[0], (float)kp[1]);
            await page.WaitForFunctionAsync("t => window.__headatlas.state.hovered?.kind === 'key' && window.__headatlas.state.hovered.token === t", key - tokens.Count);
            await page.WaitForSelectorAsync("[data-testid=tooltip-thumb][data-loaded=true]");
            Assert.StartsWith("key · row ", await page.Locator("[data-testid=tooltip-detail]").TextContentAsync());
            Assert.Empty(errors);
        }
        finally { await page.Context.CloseAsync(); }
    }

    /// <summary>Clicks a query point and waits until the image panel shows it.</summary>
    private static async Task ClickQueryAsync(IPage page, int token)
    {
        var p = await PageHelpers.ScreenAsync(page, token);
        await page.Mouse.ClickAsync((float)p[0], (float)p[1]);
        await WaitSelectedAsync(page, token);
    }

    private static async Task WaitSelectedAsync(IPage page, int token)
    {
        await page.WaitForFunctionAsync("t => window.__headatlas.state.selected?.token === t", token);
        await page.WaitForFunctionAsync("() => document.querySelector('[data-testid=image-figure]')?.dataset.loaded === 'true'");
    }

    /// <summary>Opacity of the heat over a pixel, from what was drawn over the known image colour (least squares over RGB).</summary>
    private static double HeatOpacity((byte R, byte G, byte B, byte A) drawn, (int R, int G, int B) under)
    {
        double[] d = [drawn.R - under.R, drawn.G - under.G, drawn.B - under.B], h = [Heat[0] - under.R, Heat[1] - under.G, Heat[2] - under.B];
        return (d[0] * h[0] + d[1] * h[1] + d[2] * h[2]) / (h[0] * h[0] + h[1] * h[1] + h[2] * h[2]);
    }

    [Fact]
    public async Task ImagePanelShowsTheQuerysAttentionOverThePatches()
    {
        var errors = new List<string>();
        var page = await OpenHeadAsync(errors);
        try
        {
            var tokens = Tokens();
            var (token, info) = await IsolatedPatchQueryAsync(page, tokens);
            await ClickQueryAsync(page, token);
            int first = token - info.Position;
            var weights = ArrowFiles.ReadFloatLists(run.RunFile($"heads/L{Layer}_H{Head}/attention.arrow"), "weights")[token]; // [17]
            Assert.Equal(ImageRun.Tokens, weights.Length);

            Assert.Equal(ImagePath(info.Image), await page.Locator("[data-testid=image-path]").TextContentAsync());
            Assert.Equal($"query: patch row {info.Row}, column {info.Col} (outlined)", await page.Locator("[data-testid=image-query]").TextContentAsync());
            var cls = page.Locator("[data-testid=cls-weight]");
            Assert.Equal(weights[0], float.Parse((await cls.GetAttributeAsync("data-weight"))!, CultureInfo.InvariantCulture), 5);
            Assert.Contains(weights[0].ToString("F3", CultureInfo.InvariantCulture), await cls.TextContentAsync());

            // One overlay rectangle per patch carrying the file's weight.
            var cells = await page.EvaluateAsync<double[][]>("() => [...document.querySelectorAll('[data-testid=patch-cell]')].map(r => [+r.dataset.row, +r.dataset.col, +r.dataset.weight])");
            Assert.Equal(ImageRun.Rows * ImageRun.Cols, cells.Length);
            foreach (var c in cells) Assert.Equal(weights[1 + (int)c[0] * ImageRun.Cols + (int)c[1]], c[2], 5);

            // Pixels: 16 × 16 thumbnail at 300 × 300; under each patch's heat the known image colour. The heat's
            // opacity, recovered from the drawn colour, is 0.85 × weight / the largest patch weight.
            var figure = page.Locator("[data-testid=image-figure]");
            var shot = PngImage.Decode(await figure.ScreenshotAsync());
            await PageHelpers.SaveScreenshotAsync(page, "image-panel");
            Assert.Equal(300, shot.Width);
            double max = weights.Skip(1).Max(), scale = 300.0 / TestImages.Size;
            for (int r = 0; r < ImageRun.Rows; r++)
            for (int c = 0; c < ImageRun.Cols; c++)
            {
                int ix = 4 * c + 1, iy = 4 * r + 1; // an image pixel inside the patch, away from the outline
                var drawn = shot[(int)((ix + 0.5) * scale), (int)((iy + 0.5) * scale)];
                double opacity = HeatOpacity(drawn, ImagePixel(info.Image, ix, iy));
                double want = HeatMaxOpacity * weights[1 + r * ImageRun.Cols + c] / max;
                Assert.True(Math.Abs(opacity - want) < 0.04, $"patch {r},{c}: heat opacity {opacity:F3} drawn, {want:F3} from weight {weights[1 + r * ImageRun.Cols + c]}");
            }
            // The query's own patch is outlined there.
            var outline = await page.EvaluateAsync<double[]>("() => { const o = document.querySelector('[data-testid=image-figure] [data-testid=patch-outline]').getBoundingClientRect(), f = document.querySelector('[data-testid=image-figure]').getBoundingClientRect(); return [o.left - f.left, o.top - f.top, o.width, o.height]; }");
            Assert.Equal([info.Col * 75.0, info.Row * 75.0, 75, 75], outline);

            // The scatter's lines go to the query's top 2 keys of weight ≥ 0.05, from the same row.
            var lines = await page.EvaluateAsync<double[][]>("() => window.__headatlas.state.lines.map(l => [l.query, l.key, l.weight])");
            var top = weights.Select((w, k) => (w, k)).Where(x => x.w >= 0.05).OrderByDescending(x => x.w).Take(2).ToArray();
            Assert.Equal(top.Length, lines.Length);
            for (int i = 0; i < top.Length; i++)
            {
                Assert.Equal(token, (int)lines[i][0]);
                Assert.Equal(first + top[i].k, (int)lines[i][1]);
                Assert.Equal(top[i].w, lines[i][2], 5);
            }
            Assert.Empty(errors);
        }
        finally { await page.Context.CloseAsync(); }
    }

    [Fact]
    public async Task ClickingAPanelPatchSelectsThatPatchsQuery()
    {
        var errors = new List<string>();
        var page = await OpenHeadAsync(errors);
        try
        {
            var tokens = Tokens();
            var (token, info) = await IsolatedPatchQueryAsync(page, tokens);
            await ClickQueryAsync(page, token);
            int first = token - info.Position;
            var attention = ArrowFiles.ReadFloatLists(run.RunFile($"heads/L{Layer}_H{Head}/attention.arrow"), "weights");

            // Another patch of the same image, far from the selected one, with row ≠ column.
            var (row, col) = Enumerable.Range(0, ImageRun.Rows * ImageRun.Cols).Select(i => (R: i / ImageRun.Cols, C: i % ImageRun.Cols))
                .Where(p => p.R != p.C).OrderByDescending(p => Math.Abs(p.R - info.Row) + Math.Abs(p.C - info.Col)).First();
            await page.Locator($"[data-testid=patch-cell][data-row='{row}'][data-col='{col}']").ClickAsync();
            int chosen = first + 1 + row * ImageRun.Cols + col;
            await WaitSelectedAsync(page, chosen);
            await page.WaitForFunctionAsync("q => document.querySelector('[data-testid=image-query]').textContent === q", $"query: patch row {row}, column {col} (outlined)");
            var outline = await page.EvaluateAsync<double[]>("() => { const o = document.querySelector('[data-testid=image-figure] [data-testid=patch-outline]').getBoundingClientRect(), f = document.querySelector('[data-testid=image-figure]').getBoundingClientRect(); return [o.left - f.left, o.top - f.top]; }");
            Assert.Equal([col * 75.0, row * 75.0], outline);
            var cells = await page.EvaluateAsync<double[][]>("() => [...document.querySelectorAll('[data-testid=patch-cell]')].map(r => [+r.dataset.row, +r.dataset.col, +r.dataset.weight])");
            foreach (var c in cells) Assert.Equal(attention[chosen][1 + (int)c[0] * ImageRun.Cols + (int)c[1]], c[2], 5);
            Assert.All(await page.EvaluateAsync<int[]>("() => window.__headatlas.state.lines.map(l => l.query)"), q => Assert.Equal(chosen, q));

            // The [CLS] button selects the image's [CLS] query (no patch outlined then).
            await page.Locator("[data-testid=cls-weight]").ClickAsync();
            await WaitSelectedAsync(page, first);
            await page.WaitForFunctionAsync("() => document.querySelector('[data-testid=image-query]').textContent === 'query: [CLS]'");
            Assert.Equal(0, await page.Locator("[data-testid=image-figure] [data-testid=patch-outline]").CountAsync());
            Assert.Equal(attention[first][0], float.Parse((await page.Locator("[data-testid=cls-weight]").GetAttributeAsync("data-weight"))!, CultureInfo.InvariantCulture), 5);
            Assert.Empty(errors);
        }
        finally { await page.Context.CloseAsync(); }
    }
}
