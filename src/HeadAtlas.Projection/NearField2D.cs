using System.Runtime.Intrinsics;

namespace HeadAtlas.Projection;

/// <summary>
/// The exact near part of the split 2D repulsion kernels (see <see cref="FftRepulsion2D"/>): for every point i,
/// Σⱼ (K₂ − K₂far)(yᵢ − yⱼ) and Σⱼ (K₁ − K₁far) over the points j closer than r_c (K_far equals K beyond r_c, so
/// farther pairs add nothing).
/// Points are sorted into horizontal bands of height r_c / <see cref="BandsPerRadius"/> and by x within each band.
/// Each pair is visited once, from its lower point: a point meets the points after it in its own band and the runs
/// [x − r_c, x + r_c) of the BandsPerRadius bands above, and adds each pair's terms to both ends (the partners'
/// sums are contiguous slots, eight at a time in float SIMD). The pairs tested cover about (1 + 1/(2·BandsPerRadius))·2·r_c²
/// per point instead of the 9·r_c² of square cells around each point. Each band starts at a multiple of 8 slots and
/// ends with <see cref="Pad"/> sentinel slots far to the right, so a run's vectors may start before it and end past
/// it without a mask (those lanes fail the distance test) and a run always stops inside its own band.
/// Deterministic: bands BandsPerRadius + 1 apart write disjoint slots and run in parallel phase by phase, so every
/// slot receives its terms in the same order whatever the thread count.
/// </summary>
internal sealed class NearField2D
{
    public const int BandsPerRadius = 2;
    private const int Pad = 8;               // one vector of sentinels after each band
    private const float SentinelX = 3e7f;    // beyond any run's right end; its squared distance stays finite in float

    private int[] bandCount = [];            // [bands + 1] counting sort by band
    private int[] bandOfPoint = [];          // [n]
    private int[] previousOrder = [];        // [n] the points in slot order of the previous call
    private int[] bandSlot = [];             // [bands + 1] first slot of each band (a multiple of 8)
    private int[] bandEnd = [];              // [bands] end of each band's points (Pad sentinels follow)
    private int[] pointAtSlot = [];          // [slots] point index, −1 for a sentinel
    private float[] xs = [], ys = [];        // [slots] positions relative to the grid origin

    /// <summary>y: [n, 2]; computes every point's near sums (<see cref="AddTo"/> adds them to the far field's). The
    /// grid square [x0, x0 + extent)² holds every point (positions are clamped into it).</summary>
    public void Compute(double[] y, int n, double x0, double y0, double extent, double rc, ParallelOptions parallel)
    {
        double h = rc / BandsPerRadius;
        int bands = (int)Math.Ceiling(extent / h) + 1;
        SortIntoBands(y, n, x0, y0, h, bands);

        double c = 1 / (1 + rc * rc);
        // The far parts as polynomials in ds = r² − r_c² (Horner): K₁far = c − c²ds + c³ds², K₂far = c² − 2c³ds + 3c⁴ds².
        var coefficients = new FarPolynomials((float)c, (float)(c * c), (float)(c * c * c), (float)(3 * c * c * c * c));
        float radius = (float)rc;
        int slots = bandSlot[bands];
        if (sumX.Length < slots) { sumX = new float[slots]; sumY = new float[slots]; sumZ = new float[slots]; }
        Array.Clear(sumX, 0, slots); Array.Clear(sumY, 0, slots); Array.Clear(sumZ, 0, slots);
        int[] slotStart = bandSlot, ends = bandEnd; float[] px = xs, py = ys, fx = sumX, fy = sumY, fz = sumZ;
        // Band b adds to bands b .. b + BandsPerRadius: bands BandsPerRadius + 1 apart never write the same slots.
        int stride = BandsPerRadius + 1;
        for (int phase = 0; phase < stride; phase++)
        {
            int phaseBands = (bands - phase + stride - 1) / stride;
            Parallel.For(0, phaseBands, parallel, k =>
            {
                int band = phase + k * stride;
                PairsOfBand(px, py, fx, fy, fz, slotStart, ends[band], band, Math.Min(band + BandsPerRadius, bands - 1), radius, coefficients);
            });
        }
        usedSlots = slots;
    }

    /// <summary>Adds the near sums of the last <see cref="Compute"/> to rep [n, 2] and zPart [n].</summary>
    public void AddTo(double[] rep, double[] zPart)
    {
        for (int a = 0; a < usedSlots; a++)
        {
            int i = pointAtSlot[a];
            if (i < 0) continue;
            rep[2 * i] += sumX[a]; rep[2 * i + 1] += sumY[a]; zPart[i] += sumZ[a];
        }
    }

    private int usedSlots;

    private float[] sumX = [], sumY = [], sumZ = []; // [slots] near sums per slot

    /// <summary>The pairs of every point a of <paramref name="band"/> (slots slotStart[band] .. end) with the points
    /// after it in the band and with the runs [x − r_c, x + r_c) of the next bands up to <paramref name="last"/>: each
    /// pair's terms are added to both ends (eight partners at a time, contiguous slots).</summary>
    // Called once per band and iteration: compiled optimized at once instead of running at tier 0 first.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static unsafe void PairsOfBand(float[] xs, float[] ys, float[] sumX, float[] sumY, float[] sumZ, int[] slotStart, int end,
        int band, int last, float radius, FarPolynomials k)
    {
        Span<int> low = stackalloc int[BandsPerRadius + 1]; // per band above: first slot not left of the current run
        for (int b = band + 1; b <= last; b++) low[b - band] = slotStart[b];
        var sc = Vector256.Create(radius * radius); var one = Vector256.Create(1f);
        var c = Vector256.Create(k.C); var c2 = Vector256.Create(k.C2); var minusC2 = -c2;
        var c3 = Vector256.Create(k.C3); var minus2C3 = Vector256.Create(-2 * k.C3); var threeC4 = Vector256.Create(k.ThreeC4);
        var allLanes = Vector256<float>.AllBitsSet; var laneIndex = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
        fixed (float* px = xs, py = ys, sx = sumX, sy = sumY, sz = sumZ)
            for (int a = slotStart[band]; a < end; a++)
            {
                float xi = px[a], yi = py[a];
                float left = xi - radius, right = xi + radius;
                var vx = Vector256.Create(xi); var vy = Vector256.Create(yi);
                var fx = Vector256<float>.Zero; var fy = fx; var z = fx;
                for (int b = band; b <= last; b++)
                {
                    int s;
                    var valid = allLanes;
                    if (b == band)
                    {
                        s = a + 1;
                        // Vectors start at multiples of 8 (band starts are aligned), so a partner's slots are read and
                        // written as the same 32-byte block by every point (store-to-load forwarding works; a block
                        // overlapping two earlier stores would stall). In the own band the lanes up to a are masked off.
                        valid = Vector256.GreaterThan(Vector256.Create(s & ~7) + laneIndex, Vector256.Create(a)).AsSingle();
                    }
                    else
                    {
                        s = low[b - band];
                        while (px[s] <= left) s++; // bands are sorted by x and a band's points come in x order: runs only move right
                        low[b - band] = s; // lanes left of s are farther than r_c in x: the distance test drops them
                    }
                    if (px[s] >= right) continue;
                    for (s &= ~7; px[s] < right; s += 8)
                    {
                        var dx = vx - Vector256.Load(px + s);
                        var dy = vy - Vector256.Load(py + s);
                        var r2 = Vector256.FusedMultiplyAdd(dy, dy, dx * dx);
                        var inside = Vector256.BitwiseAnd(Vector256.LessThan(r2, sc), valid);
                        valid = allLanes;
                        var k1 = FastReciprocal.Of(one + r2);
                        var ds = r2 - sc;
                        var far1 = Vector256.FusedMultiplyAdd(ds, Vector256.FusedMultiplyAdd(ds, c3, minusC2), c);
                        var far2 = Vector256.FusedMultiplyAdd(ds, Vector256.FusedMultiplyAdd(ds, threeC4, minus2C3), c2);
                        var near2 = Vector256.BitwiseAnd(Vector256.FusedMultiplyAdd(k1, k1, -far2), inside);
                        var near1 = Vector256.BitwiseAnd(k1 - far1, inside);
                        var ex = near2 * dx; var ey = near2 * dy;
                        fx += ex; fy += ey; z += near1;
                        // The partners get the opposite force and the same z term (lanes outside r_c add zeros).
                        Vector256.Store(Vector256.Load(sx + s) - ex, sx + s);
                        Vector256.Store(Vector256.Load(sy + s) - ey, sy + s);
                        Vector256.Store(Vector256.Load(sz + s) + near1, sz + s);
                    }
                }
                sx[a] += Vector256.Sum(fx); sy[a] += Vector256.Sum(fy); sz[a] += Vector256.Sum(z);
            }
    }

    /// <summary>Counting sort by band, taking the points in their order of the previous call (stable), then insertion
    /// sort by x within each band: the points moved little since, so each band arrives almost sorted and the
    /// insertion sort does about one comparison per point. (The order depends on the earlier calls, deterministically.)</summary>
    private void SortIntoBands(double[] y, int n, double x0, double y0, double h, int bands)
    {
        int slots = n + bands * (Pad + 7);
        if (bandCount.Length < bands + 1) { bandCount = new int[bands + 1]; bandEnd = new int[bands]; bandSlot = new int[bands + 1]; }
        if (previousOrder.Length != n)
        {
            previousOrder = new int[n]; bandOfPoint = new int[n];
            for (int i = 0; i < n; i++) previousOrder[i] = i;
        }
        if (pointAtSlot.Length < slots) { pointAtSlot = new int[slots]; xs = new float[slots]; ys = new float[slots]; }
        var count = bandCount;
        Array.Clear(count, 0, bands + 1);
        double inv = 1 / h;
        for (int i = 0; i < n; i++)
        {
            int band = Math.Clamp((int)((y[2 * i + 1] - y0) * inv), 0, bands - 1);
            bandOfPoint[i] = band;
            count[band + 1]++;
        }
        // Band starts in slots: each band starts at a multiple of 8 and is followed by Pad sentinel slots.
        int slot = 0;
        for (int b = 0; b < bands; b++)
        {
            for (; slot % 8 != 0; slot++) { pointAtSlot[slot] = -1; xs[slot] = SentinelX; ys[slot] = 0; }
            bandSlot[b] = slot;
            int size = count[b + 1];
            count[b] = slot; // now the band's next free slot
            slot += size;
            bandEnd[b] = slot;
            for (int t = 0; t < Pad; t++) { pointAtSlot[slot] = -1; xs[slot] = SentinelX; ys[slot] = 0; slot++; }
        }
        bandSlot[bands] = slot;
        foreach (int i in previousOrder)
        {
            int at = count[bandOfPoint[i]]++;
            pointAtSlot[at] = i; xs[at] = (float)(y[2 * i] - x0); ys[at] = (float)(y[2 * i + 1] - y0);
        }
        int next = 0;
        for (int b = 0; b < bands; b++)
        {
            int start = bandSlot[b], end = bandEnd[b];
            for (int s = start + 1; s < end; s++)
            {
                float x = xs[s], yy = ys[s]; int p = pointAtSlot[s];
                int t = s - 1;
                while (t >= start && xs[t] > x) { xs[t + 1] = xs[t]; ys[t + 1] = ys[t]; pointAtSlot[t + 1] = pointAtSlot[t]; t--; }
                xs[t + 1] = x; ys[t + 1] = yy; pointAtSlot[t + 1] = p;
            }
            for (int s = start; s < end; s++) previousOrder[next++] = pointAtSlot[s];
        }
    }

    private readonly record struct FarPolynomials(float C, float C2, float C3, float ThreeC4);
}
