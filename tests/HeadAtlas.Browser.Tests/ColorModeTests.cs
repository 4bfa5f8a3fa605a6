using System.Text.Json;
using Microsoft.Playwright;

namespace HeadAtlas.Browser.Tests;

/// <summary>Color by token, sentence, q/k norm and special/punctuation flag, each checked against the run's own
/// files, with the legend saying what the colors mean and the canvas showing them.</summary>
[Collection("browser")]
public sealed class ColorModeTests(BrowserFixture fx)
{
    private const int Layer = 3, Head = 4;
    private string RunFile(string relative) => Path.Combine(fx.RunDir, relative);

    private static async Task SelectModeAsync(IPage page, string mode)
    {
        int frames = await PageHelpers.FramesAsync(page);
        await page.Locator("[data-testid=color-by]").SelectOptionAsync(mode);
        await page.WaitForFunctionAsync("([m, f]) => window.__headatlas.state.colorBy === m && window.__headatlas.state.frames > f && window.__headatlas.colorOf(0)", new object[] { mode, frames });
    }

    private static async Task<int[][]> ColorsAsync(IPage page) =>
        await page.EvaluateAsync<int[][]>("() => { const h = window.__headatlas, n = h.screenPoints().length / 2, out = []; for (let i = 0; i < n; i++) out.push(h.colorOf(i)); return out; }");

    private static async Task<List<(string Label, int[]? Color)>> LegendAsync(IPage page)
    {
        var items = await page.EvaluateAsync<JsonElement>("() => Array.from(document.querySelectorAll('[data-testid=legend-entry]')).map(e => [e.textContent, e.dataset.color ?? null])");
        return items.EnumerateArray().Select(e => (e[0].GetString()!,
            e[1].ValueKind == JsonValueKind.Null ? null : e[1].GetString()!.Split(',').Select(int.Parse).ToArray())).ToList();
    }

    [Fact]
    public async Task EveryModeColorsFromTheRunAndTheLegendSaysHow()
    {
        var errors = new List<string>();
        var page = await BrowserFixture.OpenAsync(fx.Browser, fx.Server.Url + $"#/head/{Layer}/{Head}", errors);
        try
        {
            await PageHelpers.WaitReadyAsync(page, "head", errors);
            var texts = ArrowFiles.ReadStrings(RunFile("tokens.arrow"), "text");
            var sentence = ArrowFiles.ReadInts(RunFile("tokens.arrow"), "sentence");
            int n = texts.Count;

            // By token: same text, same color, queries and keys alike; the legend's entries are the most frequent
            // tokens with their real colors; an isolated point of the top token shows that color on the canvas.
            await SelectModeAsync(page, "token");
            var colors = await ColorsAsync(page);
            var legend = await LegendAsync(page);
            Assert.NotEmpty(legend);
            var counts = texts.GroupBy(t => t).ToDictionary(g => g.Key, g => g.Count());
            int topCount = counts.Values.Max();
            Assert.Contains(legend[0].Label, counts.Where(kv => kv.Value == topCount).Select(kv => $"{kv.Key} ({kv.Value})"));
            string top = legend[0].Label[..legend[0].Label.LastIndexOf(" (", StringComparison.Ordinal)];
            for (int t = 0; t < n; t++)
            {
                Assert.Equal(colors[t], colors[n + t]);
                var entry = legend.FirstOrDefault(e => e.Label == $"{texts[t]} ({counts[texts[t]]})");
                if (entry.Color is not null) Assert.Equal(entry.Color, colors[t]);
            }
            foreach (var group in texts.Select((text, t) => (text, t)).GroupBy(p => p.text))
                Assert.Single(group.Select(p => string.Join(',', colors[p.t])).Distinct());
            Assert.True(colors.Select(c => string.Join(',', c)).Distinct().Count() >= 6, "too few token colors");
            int[] topRows = Enumerable.Range(0, 2 * n).Where(r => texts[r % n] == top).ToArray();
            int row = await PageHelpers.IsolatedRowAsync(page, topRows, 10);
            Assert.True(row >= 0, $"no isolated '{top}' point");
            var (image, box) = await PageHelpers.CanvasAsync(page);
            await PageHelpers.SaveScreenshotAsync(page, "color-token");
            var p = await PageHelpers.ScreenAsync(page, row);
            var (r, g, b, _) = image[(int)(p[0] - box.X), (int)(p[1] - box.Y)];
            // opacity 210/255 over white
            var c = legend[0].Color!;
            double Over(int v) => v * 210 / 255.0 + 255 * 45 / 255.0;
            Assert.True(Math.Abs(r - Over(c[0])) < 20 && Math.Abs(g - Over(c[1])) < 20 && Math.Abs(b - Over(c[2])) < 20,
                $"pixel ({r},{g},{b}) at a '{top}' point; legend color ({string.Join(',', c)})");

            // By sentence: one color per sentence; neighbouring sentences differ.
            await SelectModeAsync(page, "sentence");
            colors = await ColorsAsync(page);
            for (int t = 0; t < n; t++)
            {
                Assert.Equal(colors[t], colors[n + t]);
                int first = sentence.IndexOf(sentence[t]);
                Assert.Equal(colors[first], colors[t]);
                if (t > 0 && sentence[t - 1] != sentence[t]) Assert.NotEqual(colors[t - 1], colors[t]);
            }
            Assert.Equal(sentence.Distinct().Count(), (await LegendAsync(page)).Count);

            // By norm: queries darker (greens) as ‖q‖ grows, keys darker (pinks) as ‖k‖ grows; legend gives the ranges.
            await SelectModeAsync(page, "norm");
            colors = await ColorsAsync(page);
            var qNorm = ArrowFiles.ReadFloats(RunFile($"heads/L{Layer}_H{Head}/qk.arrow"), "q_norm");
            var kNorm = ArrowFiles.ReadFloats(RunFile($"heads/L{Layer}_H{Head}/qk.arrow"), "k_norm");
            static void Monotone(IList<float> norm, int[][] colors, int offset, string what)
            {
                var order = Enumerable.Range(0, norm.Count).OrderBy(t => norm[t]).ToArray();
                for (int i = 1; i < order.Length; i++)
                {
                    int a = colors[offset + order[i - 1]][1], b = colors[offset + order[i]][1];
                    Assert.True(b <= a + 1, $"{what}: larger norm {norm[order[i]]} is lighter (G {b}) than {norm[order[i - 1]]} (G {a})");
                }
                Assert.True(colors[offset + order[0]][1] - colors[offset + order[^1]][1] > 100, $"{what}: ramp too flat");
            }
            Monotone(qNorm, colors, 0, "queries");
            Monotone(kNorm, colors, n, "keys");
            var normLegend = string.Join(" | ", (await LegendAsync(page)).Select(e => e.Label));
            Assert.Contains("‖q‖", normLegend);
            Assert.Contains("‖k‖", normLegend);
            // The ranges in the legend are the file's (3 significant digits).
            foreach (var (sym, norm) in new[] { ("q", qNorm), ("k", kNorm) })
            {
                var m = System.Text.RegularExpressions.Regex.Match(normLegend, $"‖{sym}‖ ([0-9.]+) → ([0-9.]+)");
                Assert.True(m.Success, $"no ‖{sym}‖ range in the legend: {normLegend}");
                double lo = double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
                double hi = double.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
                Assert.InRange(lo, norm.Min() * 0.995, norm.Min() * 1.005);
                Assert.InRange(hi, norm.Max() * 0.995, norm.Max() * 1.005);
            }
            await PageHelpers.SaveScreenshotAsync(page, "color-norm");

            // By flag: special tokens orange, punctuation blue, the rest pale; counts in the legend.
            await SelectModeAsync(page, "flag");
            colors = await ColorsAsync(page);
            var special = ReadBools("is_special");
            var punct = ReadBools("is_punct");
            legend = await LegendAsync(page);
            Assert.Equal($"special token ({special.Count(s => s)})", legend[0].Label);
            Assert.Equal($"punctuation ({Enumerable.Range(0, n).Count(t => punct[t] && !special[t])})", legend[1].Label);
            Assert.True(punct.Any(x => x), "the corpus has punctuation");
            for (int t = 0; t < n; t++)
            {
                Assert.Equal(special[t] ? legend[0].Color : punct[t] ? legend[1].Color : legend[2].Color, colors[t]);
                Assert.Equal(special[t] ? legend[0].Color : punct[t] ? legend[1].Color : legend[3].Color, colors[n + t]);
            }
            await PageHelpers.SaveScreenshotAsync(page, "color-flag");
            Assert.Empty(errors);
        }
        finally { await page.Context.CloseAsync(); }
    }

    private List<bool> ReadBools(string column) =>
        ArrowFiles.ReadAll(RunFile("tokens.arrow")).SelectMany(b =>
        {
            var a = (Apache.Arrow.BooleanArray)b.Column(column);
            return Enumerable.Range(0, a.Length).Select(i => a.GetValue(i)!.Value);
        }).ToList();
}
