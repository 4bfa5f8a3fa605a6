using System.Text.Json;
using Microsoft.Playwright;

namespace HeadAtlas.Browser.Tests;

/// <summary>The 3D head view on the real MiniLM run's pca3d: orbit, zoom, pan, and picking through the perspective
/// projection (hover and click), attention lines drawn in 3D.</summary>
[Collection("browser")]
public sealed class Head3DTests(BrowserFixture fx)
{
    private static double Median(IEnumerable<double> v) { var s = v.OrderBy(x => x).ToArray(); return s[s.Length / 2]; }

    private static async Task<IPage> Open3DAsync(BrowserFixture fx, string hash, List<string> errors)
    {
        var page = await BrowserFixture.OpenAsync(fx.Browser, fx.Server.Url + hash, errors);
        await PageHelpers.WaitReadyAsync(page, "head", errors);
        await page.Locator("[data-testid=dims]").SelectOptionAsync("3");
        await page.WaitForFunctionAsync("() => window.__headatlas.state.projection === 'pca3d' && window.__headatlas.state.ready");
        return page;
    }

    [Fact]
    public async Task DragRotatesWheelZoomsShiftAndRightDragPan()
    {
        var errors = new List<string>();
        var page = await Open3DAsync(fx, "#/head/2/5", errors);
        try
        {
            int n = ArrowFiles.ReadInts(Path.Combine(fx.RunDir, "tokens.arrow"), "token").Count;
            Assert.Contains("PCA 3D", await page.Locator("[data-testid=head-title]").InnerTextAsync());
            Assert.Equal(2 * n, await page.EvaluateAsync<int>("() => window.__headatlas.state.pointsDrawn"));
            await PageHelpers.SaveScreenshotAsync(page, "head-3d");

            // Queries green and keys pink on the canvas.
            var (image, box) = await PageHelpers.CanvasAsync(page);
            int green = 0, pink = 0;
            for (int y = 0; y < image.Height; y++)
            for (int x = 0; x < image.Width; x++)
            {
                var (r, g, b, _) = image[x, y];
                if (g > r + 40 && g > b + 20) green++;
                if (r > g + 60 && b > g + 10) pink++;
            }
            Assert.True(green > 200 && pink > 200, $"{green} green and {pink} pink pixels in 3D");

            float cx = box.X + box.Width / 2, cy = box.Y + box.Height / 2;
            var camera0 = await page.EvaluateAsync<JsonElement>("() => window.__headatlas.state.camera");
            var p0 = await PageHelpers.AllScreenAsync(page);

            // Drag rotates: the camera turns and points move by different amounts (not a 2D shift).
            int frames = await PageHelpers.FramesAsync(page);
            await page.Mouse.MoveAsync(cx, cy);
            await page.Mouse.DownAsync();
            await page.Mouse.MoveAsync(cx + 80, cy + 20, new() { Steps = 4 });
            await page.Mouse.UpAsync();
            await PageHelpers.NextFrameAsync(page, frames);
            var camera1 = await page.EvaluateAsync<JsonElement>("() => window.__headatlas.state.camera");
            Assert.NotEqual(camera0.GetProperty("yaw").GetDouble(), camera1.GetProperty("yaw").GetDouble());
            Assert.NotEqual(camera0.GetProperty("pitch").GetDouble(), camera1.GetProperty("pitch").GetDouble());
            var p1 = await PageHelpers.AllScreenAsync(page);
            var dx = Enumerable.Range(0, 2 * n).Select(i => p1[2 * i] - p0[2 * i]).ToArray();
            double mean = dx.Average(), spread = Math.Sqrt(dx.Average(d => (d - mean) * (d - mean)));
            Assert.True(spread > 5, $"rotation moved points by {mean:F1} ± {spread:F1} px horizontally: looks like a pan");
            // Selection is unchanged by a drag (no click).
            Assert.True(await page.EvaluateAsync<bool>("() => window.__headatlas.state.selected === null"));

            // Wheel zooms in: points spread apart around the screen center.
            static double Spread(double[] p)
            {
                int rows = p.Length / 2;
                double mx = Enumerable.Range(0, rows).Average(i => p[2 * i]), my = Enumerable.Range(0, rows).Average(i => p[2 * i + 1]);
                return Enumerable.Range(0, rows).Average(i => double.Hypot(p[2 * i] - mx, p[2 * i + 1] - my));
            }
            frames = await PageHelpers.FramesAsync(page);
            await page.Mouse.WheelAsync(0, -400);
            await PageHelpers.NextFrameAsync(page, frames);
            var p2 = await PageHelpers.AllScreenAsync(page);
            Assert.True(Spread(p2) > 1.3 * Spread(p1), $"spread {Spread(p1):F1} → {Spread(p2):F1} px after zooming in");
            var camera2 = await page.EvaluateAsync<JsonElement>("() => window.__headatlas.state.camera");
            Assert.True(camera2.GetProperty("distance").GetDouble() < camera1.GetProperty("distance").GetDouble());

            // Shift-drag pans: angles kept, points follow the mouse (those at the target's depth exactly).
            async Task PanAsync(bool right)
            {
                var before = await PageHelpers.AllScreenAsync(page);
                var camBefore = await page.EvaluateAsync<JsonElement>("() => window.__headatlas.state.camera");
                frames = await PageHelpers.FramesAsync(page);
                await page.Mouse.MoveAsync(cx, cy);
                if (!right) await page.Keyboard.DownAsync("Shift");
                await page.Mouse.DownAsync(new() { Button = right ? MouseButton.Right : MouseButton.Left });
                await page.Mouse.MoveAsync(cx + 60, cy + 25, new() { Steps = 4 });
                await page.Mouse.UpAsync(new() { Button = right ? MouseButton.Right : MouseButton.Left });
                if (!right) await page.Keyboard.UpAsync("Shift");
                await PageHelpers.NextFrameAsync(page, frames);
                var after = await PageHelpers.AllScreenAsync(page);
                var camAfter = await page.EvaluateAsync<JsonElement>("() => window.__headatlas.state.camera");
                Assert.Equal(camBefore.GetProperty("yaw").GetDouble(), camAfter.GetProperty("yaw").GetDouble());
                Assert.Equal(camBefore.GetProperty("pitch").GetDouble(), camAfter.GetProperty("pitch").GetDouble());
                var mdx = Median(Enumerable.Range(0, 2 * n).Select(i => after[2 * i] - before[2 * i]));
                var mdy = Median(Enumerable.Range(0, 2 * n).Select(i => after[2 * i + 1] - before[2 * i + 1]));
                Assert.InRange(mdx, 40, 85);
                Assert.InRange(mdy, 15, 38);
            }
            await PanAsync(right: false);
            await PanAsync(right: true);
            Assert.True(await page.EvaluateAsync<bool>("() => window.__headatlas.state.selected === null"));
            Assert.Empty(errors);
        }
        finally { await page.Context.CloseAsync(); }
    }

    [Fact]
    public async Task HoverAndClickPickPointsIn3DAndLinesAreDrawn()
    {
        const int layer = 4, head = 1;
        var errors = new List<string>();
        var page = await Open3DAsync(fx, $"#/head/{layer}/{head}", errors);
        try
        {
            var texts = ArrowFiles.ReadStrings(Path.Combine(fx.RunDir, "tokens.arrow"), "text");
            var weights = ArrowFiles.ReadFloatLists(Path.Combine(fx.RunDir, $"heads/L{layer}_H{head}/attention.arrow"), "weights");
            var firstToken = ArrowFiles.ReadInts(Path.Combine(fx.RunDir, "sentences.arrow"), "first_token");
            var sentenceOf = ArrowFiles.ReadInts(Path.Combine(fx.RunDir, "tokens.arrow"), "sentence");
            int n = texts.Count;

            // Hover an isolated key: the tooltip names its token.
            int keyRow = await PageHelpers.IsolatedRowAsync(page, Enumerable.Range(n, n).ToArray());
            Assert.True(keyRow >= 0, "no isolated key point");
            var k = await PageHelpers.ScreenAsync(page, keyRow);
            await page.Mouse.MoveAsync((float)k[0] - 30, (float)k[1] - 30);
            await page.Mouse.MoveAsync((float)k[0], (float)k[1], new() { Steps = 3 });
            await Assertions.Expect(page.Locator("[data-testid=tooltip]")).ToBeVisibleAsync();
            Assert.Equal(texts[keyRow - n], await page.Locator("[data-testid=tooltip-token]").InnerTextAsync());
            Assert.StartsWith("key", await page.Locator("[data-testid=tooltip-detail]").InnerTextAsync());

            // Click an isolated query whose top key is far enough away to see the line.
            var queries = Enumerable.Range(0, n).ToArray();
            int token = await PageHelpers.IsolatedRowAsync(page, queries);
            Assert.True(token >= 0, "no isolated query point");
            var q = await PageHelpers.ScreenAsync(page, token);
            await page.Mouse.ClickAsync((float)q[0], (float)q[1]);
            await page.WaitForFunctionAsync("t => { const s = window.__headatlas.state; return s.selected && s.selected.token === t && s.lines.length > 0; }", token);
            int first = firstToken[sentenceOf[token]];
            var expected = weights[token].Select((w, j) => (Key: first + j, Weight: w)).Where(p => p.Weight >= 0.05f)
                .OrderByDescending(p => p.Weight).Take(2).ToList();
            var lines = await page.EvaluateAsync<JsonElement>("() => window.__headatlas.state.lines");
            Assert.Equal(expected.Count, lines.GetArrayLength());
            for (int i = 0; i < expected.Count; i++) Assert.Equal(expected[i].Key, lines[i].GetProperty("key").GetInt32());

            await page.WaitForFunctionAsync("f => window.__headatlas.state.frames > f", await PageHelpers.FramesAsync(page) - 1);
            await PageHelpers.SaveScreenshotAsync(page, "head-3d-selected");
            var (image, box) = await PageHelpers.CanvasAsync(page);
            // Each long enough line is on screen: gray along its middle (lines are drawn over points). Under SwiftShader a
            // 3D line comes out lighter than its opacity says (~0.65 × the weight's darkness, cause not found; in 2D it
            // matches the weight exactly and ExplorerTests checks that), so here: gray, visibly darker than the
            // background, never darker than the weight allows.
            int checkedLines = 0;
            foreach (var (key, weight) in expected)
            {
                var kp = await PageHelpers.ScreenAsync(page, n + key);
                if (double.Hypot(kp[0] - q[0], kp[1] - q[1]) < 40) continue;
                double gray = 255 - weight * 225;
                int hits = 0;
                var seen = new List<string>();
                for (int step = 0; step <= 8; step++)
                {
                    double t = 0.3 + 0.05 * step;
                    int px = (int)(q[0] + t * (kp[0] - q[0]) - box.X), py = (int)(q[1] + t * (kp[1] - q[1]) - box.Y);
                    bool hit = false;
                    for (int dy = -1; dy <= 1 && !hit; dy++)
                    for (int dx = -1; dx <= 1 && !hit; dx++)
                    {
                        var (r, g, b, _) = image[Math.Clamp(px + dx, 0, image.Width - 1), Math.Clamp(py + dy, 0, image.Height - 1)];
                        hit = Math.Abs(r - g) < 12 && Math.Abs(g - b) < 12 && r < 245 && r > gray - 20;
                    }
                    if (hit) hits++;
                    seen.Add($"({px},{py})={image[Math.Clamp(px, 0, image.Width - 1), Math.Clamp(py, 0, image.Height - 1)]}");
                }
                Assert.True(hits >= 5, $"line to key {key} (weight {weight:F3}): gray ≈ {gray:F0} at {hits} of 9 points: {string.Join(" ", seen)}");
                checkedLines++;
            }
            Assert.True(checkedLines > 0, "no line long enough to check on screen");

            // The sentence panel lists the clicked query's sentence.
            Assert.Equal(texts.Skip(first).Take(weights[token].Length), await page.Locator("[data-testid=sentence-query]").AllTextContentsAsync());
            Assert.Empty(errors);
        }
        finally { await page.Context.CloseAsync(); }
    }
}
