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
            // Each long enough line is on screen, as dark as its weight: in perspective the rasterizer spreads a
            // line over two pixels across its direction, so the darkness (255 − gray, color 30 at opacity = weight
            // over white) summed across the line is compared with weight × 225.
            int checkedLines = 0;
            foreach (var (key, weight) in expected)
            {
                var kp = await PageHelpers.ScreenAsync(page, n + key);
                if (double.Hypot(kp[0] - q[0], kp[1] - q[1]) < 40) continue;
                double want = weight * 225;
                bool across = Math.Abs(kp[0] - q[0]) > Math.Abs(kp[1] - q[1]); // mostly horizontal: sum a column
                int hits = 0;
                var seen = new List<string>();
                for (int step = 0; step <= 8; step++)
                {
                    double t = 0.3 + 0.05 * step;
                    int px = (int)(q[0] + t * (kp[0] - q[0]) - box.X), py = (int)(q[1] + t * (kp[1] - q[1]) - box.Y);
                    double dark = 0;
                    bool grayOnly = true;
                    for (int d = -3; d <= 3; d++)
                    {
                        var (r, g, b, _) = across
                            ? image[Math.Clamp(px, 0, image.Width - 1), Math.Clamp(py + d, 0, image.Height - 1)]
                            : image[Math.Clamp(px + d, 0, image.Width - 1), Math.Clamp(py, 0, image.Height - 1)];
                        if (Math.Abs(r - g) >= 12 || Math.Abs(g - b) >= 12) grayOnly = false;
                        dark += 255 - r;
                    }
                    if (grayOnly && Math.Abs(dark - want) < 20) hits++;
                    seen.Add($"({px},{py}):{dark:F0}");
                }
                Assert.True(hits >= 5, $"line to key {key} (weight {weight:F3}): darkness ≈ {want:F0} across it at {hits} of 9 points: {string.Join(" ", seen)}");
                checkedLines++;
            }
            Assert.True(checkedLines > 0, "no line long enough to check on screen");

            // The sentence panel lists the clicked query's sentence.
            Assert.Equal(texts.Skip(first).Take(weights[token].Length), await page.Locator("[data-testid=sentence-query]").AllTextContentsAsync());
            Assert.Empty(errors);
        }
        finally { await page.Context.CloseAsync(); }
    }
    [Fact]
    public async Task NearerPointsAreDrawnLargerWhenSizeByDepthIsOn()
    {
        const int layer = 2, head = 5;
        var errors = new List<string>();
        var page = await Open3DAsync(fx, $"#/head/{layer}/{head}", errors);
        try
        {
            string file = Path.Combine(fx.RunDir, $"heads/L{layer}_H{head}/pca3d.arrow");
            var x = ArrowFiles.ReadFloats(file, "x"); var y = ArrowFiles.ReadFloats(file, "y"); var z = ArrowFiles.ReadFloats(file, "z");
            // Nearer the cloud, near and far points differ more in depth.
            var canvasBox = (await page.Locator("[data-testid=head-canvas]").BoundingBoxAsync())!;
            int before = await PageHelpers.FramesAsync(page);
            await page.Mouse.MoveAsync(canvasBox.X + canvasBox.Width / 2, canvasBox.Y + canvasBox.Height / 2);
            await page.Mouse.WheelAsync(0, -350);
            await PageHelpers.NextFrameAsync(page, before);
            // Depth of every row from the camera the page reports (eye = target + distance · back).
            var cam = await page.EvaluateAsync<JsonElement>("() => window.__headatlas.state.camera");
            double yaw = cam.GetProperty("yaw").GetDouble(), pitch = cam.GetProperty("pitch").GetDouble(), dist = cam.GetProperty("distance").GetDouble();
            var target = cam.GetProperty("target").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            double[] back = [Math.Cos(pitch) * Math.Sin(yaw), Math.Sin(pitch), Math.Cos(pitch) * Math.Cos(yaw)];
            double Depth(int i) => dist - ((x[i] - target[0]) * back[0] + (y[i] - target[1]) * back[1] + (z[i] - target[2]) * back[2]);

            var isolated = await page.EvaluateAsync<int[]>(@"() => {
                const p = window.__headatlas.screenPoints(), rows = p.length / 2, out = [];
                const r = document.querySelector('[data-testid=head-canvas]').getBoundingClientRect();
                for (let i = 0; i < rows; i++) {
                    if (!(p[2*i] > r.left + 20 && p[2*i] < r.right - 20 && p[2*i+1] > r.top + 20 && p[2*i+1] < r.bottom - 20)) continue;
                    let min = Infinity;
                    for (let j = 0; j < rows; j++) if (j !== i) min = Math.min(min, Math.hypot(p[2*i] - p[2*j], p[2*i+1] - p[2*j+1]));
                    if (min > 25) out.push(i);
                }
                return out;
            }");
            Assert.True(isolated.Length >= 2, "fewer than two isolated points");
            int near = isolated.MinBy(Depth), far = isolated.MaxBy(Depth);
            Assert.True(Depth(far) > 1.5 * Depth(near), $"isolated points too close in depth: {Depth(near):F2} vs {Depth(far):F2}");

            async Task<(int Near, int Far)> DiskAreasAsync()
            {
                var (image, box) = await PageHelpers.CanvasAsync(page);
                async Task<int> Area(int row)
                {
                    var s = await PageHelpers.ScreenAsync(page, row);
                    int cx = (int)(s[0] - box.X), cy = (int)(s[1] - box.Y), count = 0;
                    for (int dy = -12; dy <= 12; dy++)
                    for (int dx = -12; dx <= 12; dx++)
                    {
                        var (r, g, b, _) = image[Math.Clamp(cx + dx, 0, image.Width - 1), Math.Clamp(cy + dy, 0, image.Height - 1)];
                        if (r < 245 || g < 245 || b < 245) count++;
                    }
                    return count;
                }
                return (await Area(near), await Area(far));
            }

            var on = await DiskAreasAsync();
            Assert.True(on.Near > 1.5 * on.Far, $"size by depth on: nearest disk {on.Near} px², farthest {on.Far} px²");
            int frames = await PageHelpers.FramesAsync(page);
            await page.Locator("[data-testid=depth-size]").UncheckAsync();
            await PageHelpers.NextFrameAsync(page, frames);
            Assert.False(await page.EvaluateAsync<bool>("() => window.__headatlas.state.camera.depthSize"));
            var off = await DiskAreasAsync();
            Assert.InRange(off.Near, off.Far - 6, off.Far + 6);
            Assert.Empty(errors);
        }
        finally { await page.Context.CloseAsync(); }
    }
}
