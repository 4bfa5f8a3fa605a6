using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace HeadAtlas.Projection;

/// <summary>
/// The k nearest neighbours of every point (euclidean), excluding the point itself.
/// Built once per head and shared by t-SNE (and later UMAP).
/// </summary>
public sealed class KnnGraph
{
    public int N { get; }
    public int K { get; }
    /// <summary>Neighbour indices, nearest first. [n, k]</summary>
    public int[] Indices { get; }
    /// <summary>Euclidean distances to those neighbours, ascending. [n, k]</summary>
    public float[] Distances { get; }

    public KnnGraph(int n, int k, int[] indices, float[] distances)
    {
        if (indices.Length != (long)n * k || distances.Length != (long)n * k) throw new ArgumentException($"indices and distances must both be [{n}, {k}]");
        N = n; K = k; Indices = indices; Distances = distances;
    }

    /// <summary>The first <paramref name="k"/> neighbours of every point (they are stored nearest first).</summary>
    public KnnGraph Nearest(int k)
    {
        if (k < 1 || k > K) throw new ArgumentException($"k must be in 1..{K} (got {k})");
        if (k == K) return this;
        var indices = new int[N * k];  // [n, k]
        var distances = new float[N * k]; // [n, k]
        for (int i = 0; i < N; i++)
        {
            Indices.AsSpan(i * K, k).CopyTo(indices.AsSpan(i * k, k));
            Distances.AsSpan(i * K, k).CopyTo(distances.AsSpan(i * k, k));
        }
        return new KnnGraph(N, k, indices, distances);
    }

    /// <summary>Above this many points <see cref="Build"/> uses NN-descent; at or below, the exact search.</summary>
    public const int ExactLimit = 20_000;

    /// <summary>Exact kNN for n ≤ <see cref="ExactLimit"/>, NN-descent (approximate, recall ≈ 0.99 on typical data) beyond.</summary>
    public static KnnGraph Build(ReadOnlySpan<float> data, int n, int d, int k, int threads = 0, int seed = 0) =>
        n <= ExactLimit ? Exact(data, n, d, k, threads) : NnDescent.Build(data, n, d, k, new NnDescent.Options { Seed = seed, Threads = threads });

    // The search is a small matrix product (query rows × candidates) fused with top-k selection, organised as a GEMM is:
    // a register tile of QueryRows × Tile dot products (12 independent FMA chains, enough to keep both FMA pipes
    // busy), candidates stored dimension-major in tiles of 24, and the candidate set walked in chunks that stay in L2
    // while a panel of query rows passes over them.
    private const int Lanes = 8;                 // floats per Vector256
    private const int Tile = 3 * Lanes;          // candidates per register tile
    private const int QueryRows = 4;             // query rows per register tile
    private const int PanelRows = 64;            // query rows sharing one pass over a candidate chunk (one parallel task)
    private const int ChunkBytes = 160 * 1024;   // candidate chunk size: well inside the 512 KB L2

    /// <summary>
    /// Exact kNN by brute force: squared distances ‖x‖² + ‖y‖² − 2x·y with the dot products from a register-tiled kernel,
    /// multi-threaded over panels of query rows. Each row keeps candidates below its admission threshold in a buffer
    /// that is cut back to the k best when full (cheaper than a heap: most admissions are one store). The k survivors
    /// get their distances recomputed directly from differences, so the returned distances carry no cancellation error.
    /// Deterministic and independent of the thread count: the survivors are the k smallest by (‖y‖² − 2x·y, index),
    /// a total order, whatever order candidates arrive in; ties break by lower index.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static KnnGraph Exact(ReadOnlySpan<float> data, int n, int d, int k, int threads = 0)
    {
        if (data.Length != (long)n * d) throw new ArgumentException($"data has {data.Length} values, expected n·d = {n}·{d}");
        if (k < 1 || k > n - 1) throw new ArgumentException($"k must be in 1..n−1 = {n - 1} (got {k})");

        var x = data.ToArray(); // [n, d]
        var norms = new float[n]; // [n] squared norms
        for (int i = 0; i < n; i++)
        {
            norms[i] = System.Numerics.Tensors.TensorPrimitives.SumOfSquares<float>(x.AsSpan(i * d, d));
            // A NaN or ∞ (or a norm that overflows) would make every distance of the row unorderable.
            if (!float.IsFinite(norms[i])) throw new ArgumentException($"data row {i} has a value that is not finite (or too large to square)");
        }

        // Points are searched in a locality order (see LocalityOrder): a panel of query rows scans the candidates next to
        // it first, so its thresholds are tight early. Positions p index that order; order[p] is the point.
        var order = LocalityOrder.Compute(x, n, d);
        var xs = new float[n * d]; // [n, d] the points in that order
        for (int p = 0; p < n; p++) x.AsSpan(order[p] * d, d).CopyTo(xs.AsSpan(p * d, d));

        // Candidate tiles, dimension-major: tiles[b, t, lane] = xs[b·24 + lane, t]; padding lanes get norm +∞ (never admitted).
        int tileCount = (n + Tile - 1) / Tile;
        var tiles = new float[tileCount * d * Tile]; // [tileCount, d, 24]
        var tileNorms = new float[tileCount * Tile];  // [tileCount, 24]
        Array.Fill(tileNorms, float.PositiveInfinity);
        for (int p = 0; p < n; p++)
        {
            int b = p / Tile, lane = p % Tile;
            for (int t = 0; t < d; t++) tiles[(b * d + t) * Tile + lane] = xs[p * d + t];
            tileNorms[p] = norms[order[p]];
        }
        int chunkTiles = Math.Max(1, ChunkBytes / (d * Tile * sizeof(float)));
        int chunkCount = (tileCount + chunkTiles - 1) / chunkTiles;

        var indices = new int[n * k];
        var distances = new float[n * k];
        int panels = (n + PanelRows - 1) / PanelRows;
        var options = new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount };
        Parallel.For(0, panels, options, () => new PanelState(k, d), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (panel, _, state) =>
        {
            int p0 = panel * PanelRows, rows = Math.Min(PanelRows, n - p0);
            state.Reset(rows);
            // The chunk holding the panel first, from the panel's own tiles on (its nearest points in the order), then
            // the other chunks outwards alternately.
            int home = p0 / Tile / chunkTiles;
            for (int below = home, above = home + 1, turn = 0; below >= 0 || above < chunkCount; turn ^= 1)
            {
                int c = (turn == 0 && below >= 0) || above >= chunkCount ? below-- : above++;
                int t0 = c * chunkTiles, t1 = Math.Min(tileCount, t0 + chunkTiles), split = c == home ? p0 / Tile : t0;
                for (int g = 0; g < rows; g += QueryRows)
                {
                    ScanChunk(xs, d, tiles, tileNorms, order, split, t1, p0, g, Math.Min(QueryRows, rows - g), state);
                    ScanChunk(xs, d, tiles, tileNorms, order, t0, split, p0, g, Math.Min(QueryRows, rows - g), state);
                }
            }
            for (int r = 0; r < rows; r++)
            {
                int i = order[p0 + r];
                Finish(x, d, i, k, state.Candidates(r), indices.AsSpan(i * k, k), distances.AsSpan(i * k, k), state.Keys);
            }
            return state;
        }, _ => { });
        return new KnnGraph(n, k, indices, distances);
    }

    /// <summary>Per-thread search state for one panel of query rows: each row's candidate buffer and admission threshold.</summary>
    private sealed class PanelState
    {
        public readonly int K, Capacity;
        public readonly ulong[] Buffer;     // [PanelRows, Capacity] candidate keys (see Key)
        public readonly int[] Count = new int[PanelRows];
        public readonly float[] Threshold = new float[PanelRows]; // admit a candidate when its value is below this
        public readonly float[] Query;      // [QueryRows, d] the current register tile's query rows
        public readonly ulong[] Keys;       // [k] scratch for the final sort

        public PanelState(int k, int d)
        {
            K = k;
            Capacity = 2 * k + Tile; // cut back to k once 2k are held; one tile adds at most 24
            Buffer = new ulong[PanelRows * Capacity];
            Query = new float[QueryRows * d];
            Keys = new ulong[k];
        }

        public void Reset(int rows)
        {
            Array.Clear(Count);
            Array.Fill(Threshold, float.PositiveInfinity, 0, rows);
            // Rows past the end of the data admit nothing (no value is below −∞).
            Array.Fill(Threshold, float.NegativeInfinity, rows, PanelRows - rows);
        }

        public Span<ulong> Candidates(int row) => Buffer.AsSpan(row * Capacity, Count[row]);

        /// <summary>Once a row holds k candidates, the largest of them bounds its k-th nearest: a threshold without a selection.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void FirstBound(int row)
        {
            ulong worst = 0;
            foreach (ulong key in Candidates(row)) worst = Math.Max(worst, key);
            Threshold[row] = MathF.BitIncrement(ValueOf(worst));
        }

        /// <summary>Keeps the k smallest keys of a full buffer and tightens the threshold to the largest of them.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void CutBack(int row)
        {
            var kept = Buffer.AsSpan(row * Capacity, Count[row]);
            Selection.Smallest(kept, K);
            ulong worst = 0;
            foreach (ulong key in kept[..K]) worst = Math.Max(worst, key);
            Count[row] = K;
            // Ties at the threshold are decided by index in the final selection, so admit equal values too.
            Threshold[row] = MathF.BitIncrement(ValueOf(worst));
        }
    }

    /// <summary>
    /// Dot products of up to four query rows (panel rows g..g+rows−1) with the candidate tiles [t0, t1), filtered
    /// against each row's threshold with one compare per eight candidates; the rare tiles with an admitted candidate
    /// go to <see cref="Admit"/>. (No vector is live across that call, so the JIT keeps the twelve accumulators in
    /// registers instead of spilling them in the inner loop.)
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void ScanChunk(float[] xs, int d, float[] tiles, float[] tileNorms, int[] order, int t0, int t1, int p0, int g, int rows,
        PanelState state)
    {
        var query = state.Query; // [4, d]; missing rows are zeros (their threshold admits nothing)
        Array.Clear(query);
        xs.AsSpan((p0 + g) * d, rows * d).CopyTo(query);
        var values = stackalloc float[QueryRows * Tile]; // [4, 24] ‖y‖² − 2x·y of the current tile, when needed
        fixed (float* tileBase = tiles, normBase = tileNorms, q = query, threshold = state.Threshold)
        {
            float* q1 = q + d, q2 = q + 2 * d, q3 = q + 3 * d, th = threshold + g;
            for (int b = t0; b < t1; b++)
            {
                float* c = tileBase + (long)b * d * Tile;
                var a00 = Vector256<float>.Zero; var a01 = a00; var a02 = a00;
                var a10 = a00; var a11 = a00; var a12 = a00;
                var a20 = a00; var a21 = a00; var a22 = a00;
                var a30 = a00; var a31 = a00; var a32 = a00;
                for (int t = 0; t < d; t++, c += Tile)
                {
                    var v0 = Vector256.Load(c); var v1 = Vector256.Load(c + Lanes); var v2 = Vector256.Load(c + 2 * Lanes);
                    var s = Vector256.Create(q[t]);
                    a00 = Vector256.FusedMultiplyAdd(s, v0, a00); a01 = Vector256.FusedMultiplyAdd(s, v1, a01); a02 = Vector256.FusedMultiplyAdd(s, v2, a02);
                    s = Vector256.Create(q1[t]);
                    a10 = Vector256.FusedMultiplyAdd(s, v0, a10); a11 = Vector256.FusedMultiplyAdd(s, v1, a11); a12 = Vector256.FusedMultiplyAdd(s, v2, a12);
                    s = Vector256.Create(q2[t]);
                    a20 = Vector256.FusedMultiplyAdd(s, v0, a20); a21 = Vector256.FusedMultiplyAdd(s, v1, a21); a22 = Vector256.FusedMultiplyAdd(s, v2, a22);
                    s = Vector256.Create(q3[t]);
                    a30 = Vector256.FusedMultiplyAdd(s, v0, a30); a31 = Vector256.FusedMultiplyAdd(s, v1, a31); a32 = Vector256.FusedMultiplyAdd(s, v2, a32);
                }
                // The query's own norm is a constant per row: rank by ‖y‖² − 2x·y and add ‖x‖² at the end.
                float* cn = normBase + b * Tile;
                var n0 = Vector256.Load(cn); var n1 = Vector256.Load(cn + Lanes); var n2 = Vector256.Load(cn + 2 * Lanes);
                var minus2 = Vector256.Create(-2f);
                a00 = Vector256.FusedMultiplyAdd(minus2, a00, n0); a01 = Vector256.FusedMultiplyAdd(minus2, a01, n1); a02 = Vector256.FusedMultiplyAdd(minus2, a02, n2);
                a10 = Vector256.FusedMultiplyAdd(minus2, a10, n0); a11 = Vector256.FusedMultiplyAdd(minus2, a11, n1); a12 = Vector256.FusedMultiplyAdd(minus2, a12, n2);
                a20 = Vector256.FusedMultiplyAdd(minus2, a20, n0); a21 = Vector256.FusedMultiplyAdd(minus2, a21, n1); a22 = Vector256.FusedMultiplyAdd(minus2, a22, n2);
                a30 = Vector256.FusedMultiplyAdd(minus2, a30, n0); a31 = Vector256.FusedMultiplyAdd(minus2, a31, n1); a32 = Vector256.FusedMultiplyAdd(minus2, a32, n2);
                var h0 = Vector256.Create(th[0]); var h1 = Vector256.Create(th[1]); var h2 = Vector256.Create(th[2]); var h3 = Vector256.Create(th[3]);
                var any = Vector256.LessThan(a00, h0) | Vector256.LessThan(a01, h0) | Vector256.LessThan(a02, h0)
                          | Vector256.LessThan(a10, h1) | Vector256.LessThan(a11, h1) | Vector256.LessThan(a12, h1)
                          | Vector256.LessThan(a20, h2) | Vector256.LessThan(a21, h2) | Vector256.LessThan(a22, h2)
                          | Vector256.LessThan(a30, h3) | Vector256.LessThan(a31, h3) | Vector256.LessThan(a32, h3);
                if (any.ExtractMostSignificantBits() == 0) continue;
                a00.Store(values); a01.Store(values + Lanes); a02.Store(values + 2 * Lanes);
                a10.Store(values + Tile); a11.Store(values + Tile + Lanes); a12.Store(values + Tile + 2 * Lanes);
                a20.Store(values + 2 * Tile); a21.Store(values + 2 * Tile + Lanes); a22.Store(values + 2 * Tile + 2 * Lanes);
                a30.Store(values + 3 * Tile); a31.Store(values + 3 * Tile + Lanes); a32.Store(values + 3 * Tile + 2 * Lanes);
                Admit(state, g, b * Tile, p0, order, values);
            }
        }
    }

    /// <summary>Adds the candidates of one tile (values [4, 24], first candidate position <paramref name="first"/>) that are
    /// below their row's threshold to the row's buffer (as keys of the point, not the position), cutting the buffer back
    /// when it is full.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Admit(PanelState state, int g, int first, int p0, int[] order, float* values)
    {
        for (int r = 0; r < QueryRows; r++)
        {
            float threshold = state.Threshold[g + r];
            float* v = values + r * Tile;
            var h = Vector256.Create(threshold);
            uint mask = Vector256.LessThan(Vector256.Load(v), h).ExtractMostSignificantBits()
                        | Vector256.LessThan(Vector256.Load(v + Lanes), h).ExtractMostSignificantBits() << Lanes
                        | Vector256.LessThan(Vector256.Load(v + 2 * Lanes), h).ExtractMostSignificantBits() << (2 * Lanes);
            if (mask == 0) continue;
            int row = g + r, self = p0 + row;
            var buffer = state.Buffer.AsSpan(row * state.Capacity, state.Capacity);
            int count = state.Count[row];
            while (mask != 0)
            {
                int lane = System.Numerics.BitOperations.TrailingZeroCount(mask);
                mask &= mask - 1;
                int position = first + lane;
                if (position == self) continue;
                buffer[count++] = Key(v[lane], order[position]);
            }
            state.Count[row] = count;
            if (count >= 2 * state.K) state.CutBack(row);
            else if (count >= state.K && float.IsPositiveInfinity(threshold)) state.FirstBound(row);
        }
    }

    /// <summary>
    /// A candidate as one unsigned 64-bit key that orders like (value, index): the float's bits made monotone in the
    /// high half, the index in the low half. Values are finite here; adding +0 turns a −0 into +0, so that equal values
    /// tie (and are then ordered by index) as they did under float comparison.
    /// </summary>
    private static ulong Key(float value, int index) => (ulong)LocalityOrder.SortableBits(value + 0f) << 32 | (uint)index;

    private static float ValueOf(ulong key)
    {
        uint bits = (uint)(key >> 32);
        bits ^= (bits & 0x8000_0000u) != 0 ? 0x8000_0000u : 0xFFFF_FFFFu;
        return BitConverter.UInt32BitsToSingle(bits);
    }

    /// <summary>Keeps row i's k best candidates, recomputes their distances from differences and writes them sorted
    /// (distance, then index).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Finish(float[] x, int d, int i, int k, Span<ulong> candidates, Span<int> outIdx, Span<float> outDist, ulong[] keys)
    {
        // Fewer than k admitted cannot happen with finite data (checked on entry): every value is below +∞.
        if (candidates.Length < k) throw new InvalidOperationException($"kNN search kept {candidates.Length} < {k} candidates for row {i}");
        Selection.Smallest(candidates, k);
        var xi = x.AsSpan(i * d, d);
        int s = 0;
        // Four survivors at a time: four independent sums, each still added in dimension order.
        for (; s + 4 <= k; s += 4)
        {
            int j0 = (int)(uint)candidates[s], j1 = (int)(uint)candidates[s + 1], j2 = (int)(uint)candidates[s + 2], j3 = (int)(uint)candidates[s + 3];
            var x0 = x.AsSpan(j0 * d, d); var x1 = x.AsSpan(j1 * d, d); var x2 = x.AsSpan(j2 * d, d); var x3 = x.AsSpan(j3 * d, d);
            double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            for (int t = 0; t < d; t++)
            {
                float q = xi[t];
                double e0 = q - x0[t], e1 = q - x1[t], e2 = q - x2[t], e3 = q - x3[t];
                s0 += e0 * e0; s1 += e1 * e1; s2 += e2 * e2; s3 += e3 * e3;
            }
            keys[s] = Key((float)Math.Sqrt(s0), j0); keys[s + 1] = Key((float)Math.Sqrt(s1), j1);
            keys[s + 2] = Key((float)Math.Sqrt(s2), j2); keys[s + 3] = Key((float)Math.Sqrt(s3), j3);
        }
        for (; s < k; s++)
        {
            int j = (int)(uint)candidates[s];
            var xj = x.AsSpan(j * d, d);
            double sum = 0;
            for (int t = 0; t < d; t++) { double e = xi[t] - xj[t]; sum += e * e; }
            keys[s] = Key((float)Math.Sqrt(sum), j);
        }
        keys.AsSpan(0, k).Sort();
        for (s = 0; s < k; s++) { outIdx[s] = (int)(uint)keys[s]; outDist[s] = ValueOf(keys[s]); }
    }
}
