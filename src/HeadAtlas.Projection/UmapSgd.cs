using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace HeadAtlas.Projection;

/// <summary>
/// One epoch of UMAP's SGD for a range of rows, shared by <see cref="Umap.Optimize"/> and <see cref="UmapPlacement"/>.
/// Each row moves only its own point, one step at a time, in umap-learn's order: for every edge due this epoch, an
/// attraction toward the neighbour, then that edge's negative samples (repulsions from random rows). Neighbours and
/// samples are read from <c>source</c>, which stays fixed during the epoch.
///
/// Why it is built this way: a row's steps form a chain (each starts where the last left the point), so it is rows, not a
/// row's steps, that go in the lanes of a Vector256: 32 rows in flight (four groups of eight), each lane doing exactly
/// what the row alone would, so the result does not depend on the lane, the range or the thread count. First every row's
/// steps are listed (the edge schedule, eight edges at a time), then each lane walks its row's list and, when done, takes
/// the next row of the range. A negative sample's row is a hash of (row's seed for the epoch, step number), drawn in the
/// vector step. (Two or eight groups instead of four measured the same: the loop is bound by throughput, not latency.)
/// </summary>
internal sealed class UmapSgd
{
    private const int Lanes = 8, Groups = 4, InFlight = Lanes * Groups;
    private const int Negative = -1; // step code of a negative sample; codes ≥ 0 are attractions to that row

    private readonly WeightedGraph _graph;
    private readonly EdgeSchedule _schedule;
    private readonly float[] _source;     // [·, dims] positions the steps are taken against
    private readonly int _sampleCount, _dims;
    private readonly float _a, _b, _attractionScale;
    private readonly bool _skipSelf;
    private int[] _steps = new int[4096];     // [total + Lanes] each row's step codes, row after row (padded for masked gathers)
    private int[] _rowStart = new int[513];   // [count + 1] where each row's steps start in _steps
    private uint[] _rowSeed = new uint[512];  // [count] each row's random stream for the epoch
    // Per lane: the row it holds (−1 idle), its next and end step, where its row's list starts, the row to skip as a
    // sample (−1 none), its seed, and its position [3, InFlight] (x, y, z).
    private readonly int[] _row = new int[InFlight], _next = new int[InFlight], _end = new int[InFlight];
    private readonly int[] _start = new int[InFlight], _self = new int[InFlight], _seed = new int[InFlight];
    private readonly float[] _pos = new float[3 * InFlight];

    /// <param name="source">Positions [·, dims] of the neighbours and of the samples; fixed during an epoch.</param>
    /// <param name="sampleCount">Negative samples are drawn from rows 0..sampleCount−1 of <paramref name="source"/>.</param>
    /// <param name="attractionScale">Multiplies the attraction step (2 when a row stands for both ends of its edges).</param>
    /// <param name="skipSelf">The rows are themselves rows of <paramref name="source"/>: a sample that is the row is skipped.</param>
    public UmapSgd(WeightedGraph graph, EdgeSchedule schedule, float[] source, int sampleCount, int dims, float a, float b,
        float attractionScale, bool skipSelf)
    {
        if (sampleCount < 1) throw new ArgumentException("no rows to draw negative samples from");
        _graph = graph; _schedule = schedule; _source = source; _sampleCount = sampleCount; _dims = dims;
        _a = a; _b = b; _attractionScale = attractionScale; _skipSelf = skipSelf;
    }

    /// <summary>
    /// Moves rows first..first+count−1 of <paramref name="y"/> [·, dims] by one epoch. Row i's negative samples come from
    /// the stream seeded by <paramref name="rowSeed"/>(i).
    /// </summary>
    public void Epoch(float[] y, int first, int count, int epoch, float alpha, Func<int, ulong> rowSeed)
    {
        ListSteps(first, count, epoch, rowSeed);
        if (_dims == 3) Walk<Dims3>(y, first, count, alpha);
        else Walk<Dims2>(y, first, count, alpha);
    }

    // The number of coordinates as a type, so that the JIT compiles one loop for each without a test per step.
    private interface IDims { static abstract bool Three { get; } }
    private struct Dims2 : IDims { public static bool Three => false; }
    private struct Dims3 : IDims { public static bool Three => true; }

    /// <summary>The lanes walk the listed steps of rows first..first+count−1, taking the next row as each one ends.</summary>
    private unsafe void Walk<TDims>(float[] y, int first, int count, float alpha) where TDims : struct, IDims
    {
        int queued = 0; // next row of the range to hand to a lane
        for (int lane = 0; lane < InFlight; lane++) Take(lane, y, first, count, ref queued);

        var curve = new Curve(_a, _b, alpha, _attractionScale);
        fixed (int* steps = _steps)
        fixed (float* source = _source)
        fixed (int* pRow = _row, pNext = _next, pEnd = _end, pStart = _start, pSelf = _self, pSeed = _seed)
        fixed (float* px = _pos)
        {
            float* py = px + InFlight, pz = py + InFlight;
            bool busy = true;
            while (busy)
            {
                busy = false;
                for (int g = 0; g < InFlight; g += Lanes)
                {
                    var at = Vector256.Load(pNext + g);
                    var stop = Vector256.Load(pEnd + g);
                    var active0 = Vector256.LessThan(at, stop);
                    if (active0 == Vector256<int>.Zero) continue;
                    var active = active0;
                    busy = true;
                    var code = Gather(steps, at);
                    var repel = Vector256.LessThan(code, Vector256<int>.Zero);
                    var drawn = RandomRow(Vector256.Load(pSeed + g), at - Vector256.Load(pStart + g), (uint)_sampleCount);
                    var target = Select(repel, drawn, code);
                    active &= ~(repel & Vector256.Equals(target, Vector256.Load(pSelf + g)));
                    Step<TDims>(source, target, repel, active, curve, px + g, py + g, pz + g);
                    at -= active0; // + 1 where active
                    at.Store(pNext + g);
                    // Lanes whose row just ended (active before this step, at its end now) hand it back and take the next.
                    uint done = (Vector256.Equals(at, stop) & active0).ExtractMostSignificantBits();
                    while (done != 0)
                    {
                        int lane = g + System.Numerics.BitOperations.TrailingZeroCount(done);
                        done &= done - 1;
                        Finish(lane, y);
                        Take(lane, y, first, count, ref queued);
                    }
                }
            }
        }
    }

    /// <summary>Hands the lane the next row of the range with any steps (rows without any stay where they are).</summary>
    private void Take(int lane, float[] y, int first, int count, ref int queued)
    {
        while (queued < count && _rowStart[queued + 1] == _rowStart[queued]) queued++;
        if (queued == count) { _row[lane] = -1; _next[lane] = _end[lane] = 0; return; }
        int i = first + queued;
        _row[lane] = i; _self[lane] = _skipSelf ? i : -1; _seed[lane] = (int)_rowSeed[queued];
        _next[lane] = _start[lane] = _rowStart[queued]; _end[lane] = _rowStart[queued + 1];
        for (int t = 0; t < _dims; t++) _pos[t * InFlight + lane] = y[i * _dims + t];
        queued++;
    }

    private void Finish(int lane, float[] y)
    {
        for (int t = 0; t < _dims; t++) y[_row[lane] * _dims + t] = _pos[t * InFlight + lane];
        _row[lane] = -1;
    }

    /// <summary>
    /// Lists each row's steps in <see cref="_steps"/> (from <see cref="_rowStart"/>) and advances the edges' schedule.
    /// A row's edges are tested eight at a time (the same arithmetic as one at a time); only the row's own due edges are
    /// written back, since the lanes past the row's end belong to rows another thread may be moving.
    /// </summary>
    private void ListSteps(int first, int count, int epoch, Func<int, ulong> rowSeed)
    {
        if (_rowStart.Length < count + 1) { _rowStart = new int[count + 1]; _rowSeed = new uint[count]; }
        var schedule = _schedule;
        var nextSample = schedule.NextSample;
        var nextNegative = schedule.NextNegative;
        var rowStarts = _graph.RowStart;
        var columns = _graph.Columns;
        var steps = _steps;
        var now = Vector256.Create((float)epoch);
        var laneIndex = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
        var negativeCodes = Vector256.Create(Negative);
        var negativeRate = Vector256.Create(schedule.NegativeRate);
        int total = 0;
        for (int r = 0; r < count; r++)
        {
            int i = first + r;
            _rowStart[r] = total;
            _rowSeed[r] = (uint)rowSeed(i);
            int rowEnd = rowStarts[i + 1];
            for (int e = rowStarts[i]; e < rowEnd; e += Lanes)
            {
                var sample = Vector256.LoadUnsafe(ref nextSample[e]);
                var due = Vector256.LessThanOrEqual(sample, now) & Vector256.LessThan(laneIndex, Vector256.Create(rowEnd - e)).AsSingle();
                uint bits = due.ExtractMostSignificantBits();
                if (bits == 0) continue;
                var negative = Vector256.LoadUnsafe(ref nextNegative[e]);
                var perSample = Vector256.LoadUnsafe(ref schedule.EpochsPerSample[e]);
                var perNegative = perSample / negativeRate;
                var negatives = Vector256.Max(Vector256.ConvertToInt32((now - negative) / perNegative), Vector256<int>.Zero);
                var newSample = sample + perSample;
                var newNegative = negative + Vector256.ConvertToSingle(negatives) * perNegative;
                do
                {
                    int k = System.Numerics.BitOperations.TrailingZeroCount(bits);
                    bits &= bits - 1;
                    int c = negatives.GetElement(k);
                    if (total + 1 + c + Lanes > steps.Length)
                    {
                        Array.Resize(ref _steps, Math.Max(2 * steps.Length, total + 1 + c + Lanes));
                        steps = _steps;
                    }
                    steps[total] = columns[e + k];
                    for (int t = 0; t < c; t += Lanes) negativeCodes.StoreUnsafe(ref steps[total + 1 + t]);
                    total += 1 + c;
                } while (bits != 0);
                MaskStore(ref nextSample[e], due, newSample);
                MaskStore(ref nextNegative[e], due, newNegative);
            }
        }
        _rowStart[count] = total;
        // Lanes past their row's end gather from here: any valid code will do.
        steps.AsSpan(total, Lanes).Clear();
    }

    /// <summary>
    /// One step in each active lane toward (attraction) or away from (repulsion) row <paramref name="target"/> of the
    /// source. Attraction: the gradient of log(1/(1 + a·d^(2b))), −2ab·d^(2(b−1)) / (1 + a·d^(2b)) per unit of offset,
    /// times the attraction scale. Repulsion: the gradient of log(1 − 1/(1 + a·d^(2b))), 2b / ((0.001 + d²)(1 + a·d^(2b)))
    /// with umap-learn's 0.001 guard. Each coordinate's step is clamped to ±4 before the learning rate, as umap-learn;
    /// a target at distance 0 gives no direction and no step.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Step<TDims>(float* source, Vector256<int> target, Vector256<int> repel, Vector256<int> active,
        in Curve curve, float* px, float* py, float* pz) where TDims : struct, IDims
    {
        bool three = TDims.Three;
        var offset = three ? target * 3 : target + target; // [8] index of each target's first coordinate
        var x = Vector256.Load(px);
        var yy = Vector256.Load(py);
        var (sx, sy) = GatherPairs(source, offset);
        var dx = x - sx;
        var dy = yy - sy;
        var d2 = dx * dx + dy * dy;
        Vector256<float> z = default, dz = default;
        if (three)
        {
            z = Vector256.Load(pz);
            dz = z - Gather(source + 2, offset);
            d2 += dz * dz;
        }
        var keep = active.AsSingle() & Vector256.GreaterThan(d2, Vector256<float>.Zero);
        var repelF = repel.AsSingle();
        var pb = UmapPow.Pow(d2, curve.B);
        var den = Select(repelF, d2 + Vector256.Create(0.001f), d2) * Vector256.FusedMultiplyAdd(curve.A, pb, Vector256<float>.One);
        var num = Select(repelF, curve.TwoB, curve.MinusTwoAB * pb);
        var coeff = num / den;
        var lr = Select(repelF, curve.Rate, curve.AttractionRate);
        // Masked after the product: a masked lane may hold 0/0 = NaN.
        (x + ((lr * Clamp4(coeff * dx)) & keep)).Store(px);
        (yy + ((lr * Clamp4(coeff * dy)) & keep)).Store(py);
        if (three) (z + ((lr * Clamp4(coeff * dz)) & keep)).Store(pz);
    }

    /// <summary>The curve's constants and this epoch's learning rates, broadcast once per walk.</summary>
    private readonly struct Curve(float a, float b, float alpha, float attractionScale)
    {
        public readonly Vector256<float> A = Vector256.Create(a), B = Vector256.Create(b);
        public readonly Vector256<float> TwoB = Vector256.Create(2 * b), MinusTwoAB = Vector256.Create(-2 * a * b);
        public readonly Vector256<float> Rate = Vector256.Create(alpha), AttractionRate = Vector256.Create(alpha * attractionScale);
    }

    /// <summary><paramref name="ifSet"/> where <paramref name="mask"/>'s lanes are all ones, else <paramref name="ifClear"/> (masks here are all ones or zero).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Select<T>(Vector256<T> mask, Vector256<T> ifSet, Vector256<T> ifClear) where T : unmanaged =>
        Avx2.IsSupported
            ? Avx2.BlendVariable(ifClear.AsByte(), ifSet.AsByte(), mask.AsByte()).As<byte, T>()
            : Vector256.ConditionalSelect(mask, ifSet, ifClear);

    /// <summary>
    /// The row of a negative sample: lowbias32 (a 32-bit integer hash) of seed + step·φ, scaled to [0, count) by the high
    /// half of a 32×32-bit product (Lemire; bias below count/2³²).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<int> RandomRow(Vector256<int> seed, Vector256<int> step, uint count)
    {
        var h = (seed + step * unchecked((int)0x9E3779B9)).AsUInt32();
        h ^= Vector256.ShiftRightLogical(h, 16);
        h *= 0x7FEB352Du;
        h ^= Vector256.ShiftRightLogical(h, 15);
        h *= 0x846CA68Bu;
        h ^= Vector256.ShiftRightLogical(h, 16);
        if (Avx2.IsSupported)
        {
            var c = Vector256.Create((ulong)count).AsUInt32();
            var even = Avx2.Multiply(h, c);                                            // lanes 0,2,4,6: h·count as 64 bits
            var odd = Avx2.Multiply(Vector256.ShiftRightLogical(h.AsUInt64(), 32).AsUInt32(), c); // lanes 1,3,5,7
            return Avx2.Blend(Vector256.ShiftRightLogical(even, 32).AsInt32(), odd.AsInt32(), 0b10101010);
        }
        Span<int> rows = stackalloc int[Lanes];
        for (int l = 0; l < Lanes; l++) rows[l] = (int)((h[l] * (ulong)count) >> 32);
        return Vector256.Create<int>(rows);
    }

    /// <summary>Stores the lanes of <paramref name="value"/> where <paramref name="mask"/> is set; the other floats in memory are not touched.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void MaskStore(ref float target, Vector256<float> mask, Vector256<float> value)
    {
        fixed (float* p = &target)
        {
            if (Avx.IsSupported) { Avx.MaskStore(p, mask, value); return; }
            for (int l = 0; l < Lanes; l++) if (mask.AsInt32()[l] != 0) p[l] = value[l];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Clamp4(Vector256<float> v) => Vector256.MinNative(Vector256.MaxNative(v, Vector256.Create(-4f)), Vector256.Create(4f));

    /// <summary>
    /// The first two coordinates (x, y) at each offset, gathered as one 64-bit pair per lane: lanes 0, 1, 4, 5 and
    /// 2, 3, 6, 7 in two gathers, so that unpacking the pairs (shufps within each 128-bit half) puts lanes back in order.
    /// Half the gathered elements of two 32-bit gathers (a gather costs about one cycle per element here).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe (Vector256<float> X, Vector256<float> Y) GatherPairs(float* p, Vector256<int> offset)
    {
        if (!Avx2.IsSupported) return (Gather(p, offset), Gather(p + 1, offset));
        var order = Avx2.PermuteVar8x32(offset, Vector256.Create(0, 1, 4, 5, 2, 3, 6, 7));
        var a = Avx2.GatherVector256((long*)p, order.GetLower(), 4).AsSingle(); // x0 y0 x1 y1 | x4 y4 x5 y5
        var b = Avx2.GatherVector256((long*)p, order.GetUpper(), 4).AsSingle(); // x2 y2 x3 y3 | x6 y6 x7 y7
        return (Avx.Shuffle(a, b, 0b10_00_10_00), Avx.Shuffle(a, b, 0b11_01_11_01));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<float> Gather(float* p, Vector256<int> offset) => Avx2.IsSupported
        ? Avx2.GatherVector256(p, offset, 4)
        : Vector256.Create(p[offset[0]], p[offset[1]], p[offset[2]], p[offset[3]], p[offset[4]], p[offset[5]], p[offset[6]], p[offset[7]]);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<int> Gather(int* p, Vector256<int> offset) => Avx2.IsSupported
        ? Avx2.GatherVector256(p, offset, 4)
        : Vector256.Create(p[offset[0]], p[offset[1]], p[offset[2]], p[offset[3]], p[offset[4]], p[offset[5]], p[offset[6]], p[offset[7]]);
}
