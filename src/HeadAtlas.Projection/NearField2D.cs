using System.Runtime.Intrinsics;

namespace HeadAtlas.Projection;

/// <summary>
/// The exact near part of the split 2D repulsion kernels (see <see cref="FftRepulsion2D"/>): for every point i,
/// Σⱼ (K₂ − K₂far)(yᵢ − yⱼ) and Σⱼ (K₁ − K₁far) over the points j closer than r_c (K_far equals K beyond r_c, so
/// farther pairs add nothing).
/// Points are sorted into horizontal bands of height r_c / <see cref="BandsPerRadius"/> and by x within each band.
/// A point's partners then lie in the 2·BandsPerRadius + 1 bands around its own, each within one contiguous run
/// [x − r_c, x + r_c) of that band, so the pairs tested cover about (2 + 1/BandsPerRadius)·2·r_c² instead of the
/// 9·r_c² of square cells, and each run is read eight at a time in float SIMD. Each band ends with
/// <see cref="Pad"/> sentinel slots far to the right, so a run's last vector may read past its end without a mask
/// (the sentinels fail the distance test) and a run always stops inside its own band. Every point's sums run in a
/// fixed order on one thread (deterministic).
/// </summary>
internal sealed class NearField2D
{
    public const int BandsPerRadius = 2;
    private const int Pad = 8;               // one vector of sentinels after each band
    private const float SentinelX = 3e7f;    // beyond any run's right end; its squared distance stays finite in float

    private int[] cellCount = [];            // [bands·columns + 1] counting sort by (band, column of width h)
    private int[] cellOfPoint = [];          // [n]
    private int[] bandSlot = [];             // [bands + 1] first slot of each band (sentinels follow each band)
    private int[] pointAtSlot = [];          // [slots] point index, −1 for a sentinel
    private float[] xs = [], ys = [];        // [slots] positions relative to the grid origin

    /// <summary>y: [n, 2]; adds the near sums to rep [n, 2] and zPart [n] (the point's own z term 1 − K₁far(0)
    /// removed). The grid square [x0, x0 + extent)² holds every point (positions are clamped into it).</summary>
    public void Add(double[] y, int n, double x0, double y0, double extent, double rc, double[] rep, double[] zPart, ParallelOptions parallel)
    {
        double h = rc / BandsPerRadius;
        int bands = (int)Math.Ceiling(extent / h) + 1, columns = bands;
        SortIntoBands(y, n, x0, y0, h, bands, columns);

        double c = 1 / (1 + rc * rc);
        // The far parts as polynomials in ds = r² − r_c² (Horner): K₁far = c − c²ds + c³ds², K₂far = c² − 2c³ds + 3c⁴ds².
        var coefficients = new FarPolynomials((float)c, (float)(c * c), (float)(c * c * c), (float)(3 * c * c * c * c));
        double selfNear = 1 - FftRepulsion2D.FarKernel(0, rc * rc, squared: false); // each point meets itself (r = 0)
        float radius = (float)rc;
        int[] slotStart = bandSlot, owner = pointAtSlot; float[] px = xs, py = ys;
        Parallel.For(0, bands, parallel, band =>
        {
            int first = Math.Max(band - BandsPerRadius, 0), last = Math.Min(band + BandsPerRadius, bands - 1);
            Span<int> low = stackalloc int[2 * BandsPerRadius + 1]; // per band around: first slot not left of the run
            for (int b = first; b <= last; b++) low[b - first] = slotStart[b];
            int end = slotStart[band + 1] - Pad;
            for (int a = slotStart[band]; a < end; a++)
            {
                var (fx, fy, z) = PointSums(px, py, slotStart, first, last, low, px[a], py[a], radius, coefficients);
                int i = owner[a];
                rep[2 * i] += fx; rep[2 * i + 1] += fy; zPart[i] += z - selfNear;
            }
        });
    }

    /// <summary>The near sums of one point at (xi, yi) over the runs [xi − r_c, xi + r_c) of bands first..last;
    /// low[b − first] is the first slot of band b not left of the previous point's run (moved on here).</summary>
    private static unsafe (double Fx, double Fy, double Z) PointSums(float[] xs, float[] ys, int[] slotStart, int first, int last, Span<int> low,
        float xi, float yi, float radius, FarPolynomials k)
    {
        float left = xi - radius, right = xi + radius;
        var vx = Vector256.Create(xi); var vy = Vector256.Create(yi);
        var sc = Vector256.Create(radius * radius); var one = Vector256.Create(1f);
        var c = Vector256.Create(k.C); var c2 = Vector256.Create(k.C2); var minusC2 = -c2;
        var c3 = Vector256.Create(k.C3); var minus2C3 = Vector256.Create(-2 * k.C3); var threeC4 = Vector256.Create(k.ThreeC4);
        var fx = Vector256<float>.Zero; var fy = fx; var z = fx;
        fixed (float* px = xs, py = ys)
            for (int b = first; b <= last; b++)
            {
                int s = low[b - first];
                while (px[s] <= left) s++; // bands are sorted by x, and the points of a band come in x order: runs only move right
                low[b - first] = s;
                for (; px[s] < right; s += 8)
                {
                    var dx = vx - Vector256.Load(px + s);
                    var dy = vy - Vector256.Load(py + s);
                    var r2 = Vector256.FusedMultiplyAdd(dy, dy, dx * dx);
                    var inside = Vector256.LessThan(r2, sc);
                    var k1 = FastReciprocal.Of(one + r2);
                    var ds = r2 - sc;
                    var far1 = Vector256.FusedMultiplyAdd(ds, Vector256.FusedMultiplyAdd(ds, c3, minusC2), c);
                    var far2 = Vector256.FusedMultiplyAdd(ds, Vector256.FusedMultiplyAdd(ds, threeC4, minus2C3), c2);
                    var near2 = Vector256.BitwiseAnd(Vector256.FusedMultiplyAdd(k1, k1, -far2), inside);
                    var near1 = Vector256.BitwiseAnd(k1 - far1, inside);
                    fx = Vector256.FusedMultiplyAdd(near2, dx, fx);
                    fy = Vector256.FusedMultiplyAdd(near2, dy, fy);
                    z += near1;
                }
            }
        return (Vector256.Sum(fx), Vector256.Sum(fy), Vector256.Sum(z));
    }

    /// <summary>Counting sort by (band, column) cells of side h, then insertion sort by x within each cell (cells
    /// hold a few points): bands end up sorted by x. Stable by point index for equal x (deterministic).</summary>
    private void SortIntoBands(double[] y, int n, double x0, double y0, double h, int bands, int columns)
    {
        int cells = bands * columns, slots = n + bands * Pad;
        if (cellCount.Length < cells + 1) cellCount = new int[cells + 1];
        if (cellOfPoint.Length < n) cellOfPoint = new int[n];
        if (bandSlot.Length < bands + 1) bandSlot = new int[bands + 1];
        if (pointAtSlot.Length < slots) { pointAtSlot = new int[slots]; xs = new float[slots]; ys = new float[slots]; }
        var count = cellCount;
        Array.Clear(count, 0, cells + 1);
        double inv = 1 / h;
        for (int i = 0; i < n; i++)
        {
            int cx = Math.Clamp((int)((y[2 * i] - x0) * inv), 0, columns - 1);
            int cy = Math.Clamp((int)((y[2 * i + 1] - y0) * inv), 0, bands - 1);
            int cell = cy * columns + cx;
            cellOfPoint[i] = cell;
            count[cell + 1]++;
        }
        // Cell starts in slots: a band's cells are contiguous, and each band is followed by Pad sentinel slots.
        int slot = 0;
        for (int b = 0; b < bands; b++)
        {
            bandSlot[b] = slot;
            for (int cx = 0; cx < columns; cx++)
            {
                int cell = b * columns + cx, size = count[cell + 1];
                count[cell] = slot; // now the cell's next free slot
                slot += size;
            }
            for (int t = 0; t < Pad; t++) { pointAtSlot[slot] = -1; xs[slot] = SentinelX; ys[slot] = 0; slot++; }
        }
        bandSlot[bands] = slot;
        for (int i = 0; i < n; i++)
        {
            int at = count[cellOfPoint[i]]++;
            pointAtSlot[at] = i; xs[at] = (float)(y[2 * i] - x0); ys[at] = (float)(y[2 * i + 1] - y0);
        }
        // count[cell] is now the end of the cell; insertion sort each cell's slots by x.
        for (int b = 0; b < bands; b++)
        {
            int cellStart = bandSlot[b];
            for (int cx = 0; cx < columns; cx++)
            {
                int cellEnd = count[b * columns + cx];
                for (int s = cellStart + 1; s < cellEnd; s++)
                {
                    float x = xs[s], yy = ys[s]; int p = pointAtSlot[s];
                    int t = s - 1;
                    while (t >= cellStart && xs[t] > x) { xs[t + 1] = xs[t]; ys[t + 1] = ys[t]; pointAtSlot[t + 1] = pointAtSlot[t]; t--; }
                    xs[t + 1] = x; ys[t + 1] = yy; pointAtSlot[t + 1] = p;
                }
                cellStart = cellEnd;
            }
        }
    }

    private readonly record struct FarPolynomials(float C, float C2, float C3, float ThreeC4);
}
