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

    private const int Lanes = 8;     // candidates per block (one Vector256<float>)
    private const int RowsPerTask = 32;

    /// <summary>
    /// Exact kNN by brute force: squared distances ‖x‖² + ‖y‖² − 2x·y with the dot products computed eight candidates
    /// at a time (candidates stored dimension-major in blocks of eight), multi-threaded over query rows. The k survivors
    /// get their distances recomputed directly from differences, so the returned distances carry no cancellation error.
    /// Deterministic: each query row is handled by one thread in a fixed order; ties break by lower index.
    /// </summary>
    public static KnnGraph Exact(ReadOnlySpan<float> data, int n, int d, int k, int threads = 0)
    {
        if (data.Length != (long)n * d) throw new ArgumentException($"data has {data.Length} values, expected n·d = {n}·{d}");
        if (k < 1 || k > n - 1) throw new ArgumentException($"k must be in 1..n−1 = {n - 1} (got {k})");

        var x = data.ToArray(); // [n, d]
        var norms = new float[n]; // [n] squared norms
        for (int i = 0; i < n; i++)
            norms[i] = System.Numerics.Tensors.TensorPrimitives.SumOfSquares<float>(x.AsSpan(i * d, d));

        // Candidate blocks, dimension-major: blocks[b, t, lane] = x[b·8 + lane, t]; padding lanes get norm +∞.
        int blockCount = (n + Lanes - 1) / Lanes;
        var blocks = new float[blockCount * d * Lanes]; // [blockCount, d, 8]
        var blockNorms = new float[blockCount * Lanes];  // [blockCount, 8]
        Array.Fill(blockNorms, float.PositiveInfinity);
        for (int i = 0; i < n; i++)
        {
            int b = i / Lanes, lane = i % Lanes;
            for (int t = 0; t < d; t++) blocks[(b * d + t) * Lanes + lane] = x[i * d + t];
            blockNorms[i] = norms[i];
        }

        var indices = new int[n * k];
        var distances = new float[n * k];
        int tasks = (n + RowsPerTask - 1) / RowsPerTask;
        var options = new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount };
        Parallel.For(0, tasks, options, task =>
        {
            var heapDist = new float[4 * k];
            var heapIdx = new int[4 * k];
            int end = Math.Min(n, (task + 1) * RowsPerTask);
            for (int i0 = task * RowsPerTask; i0 < end; i0 += 4)
            {
                int rows = Math.Min(4, end - i0);
                SearchRows(x, d, norms, blocks, blockNorms, blockCount, i0, rows, k, heapDist, heapIdx);
                for (int r = 0; r < rows; r++)
                    Finish(x, d, i0 + r, k, heapDist.AsSpan(r * k, k), heapIdx.AsSpan(r * k, k),
                        indices.AsSpan((i0 + r) * k, k), distances.AsSpan((i0 + r) * k, k));
            }
        });
        return new KnnGraph(n, k, indices, distances);
    }

    /// <summary>Scans all candidates for up to four query rows i0..i0+rows−1, keeping each row's k best in a max-heap.</summary>
    private static unsafe void SearchRows(float[] x, int d, float[] norms, float[] blocks, float[] blockNorms, int blockCount,
        int i0, int rows, int k, float[] heapDist, int[] heapIdx)
    {
        var counts = stackalloc int[4];
        for (int r = 0; r < 4; r++) counts[r] = 0;
        var q = stackalloc float[4 * d]; // [4, d]; missing rows are zeros and ignored
        for (int r = 0; r < 4; r++)
            for (int t = 0; t < d; t++) q[r * d + t] = r < rows ? x[(i0 + r) * d + t] : 0;
        var threshold = stackalloc float[4];
        for (int r = 0; r < 4; r++) threshold[r] = float.PositiveInfinity;
        var dist = stackalloc float[4 * Lanes];

        fixed (float* blockBase = blocks, blockNormBase = blockNorms)
        {
            for (int b = 0; b < blockCount; b++)
            {
                float* c = blockBase + (long)b * d * Lanes;
                var a0 = Vector256<float>.Zero; var a1 = a0; var a2 = a0; var a3 = a0;
                for (int t = 0; t < d; t++)
                {
                    var v = Vector256.Load(c + t * Lanes);
                    a0 = Vector256.FusedMultiplyAdd(Vector256.Create(q[t]), v, a0);
                    a1 = Vector256.FusedMultiplyAdd(Vector256.Create(q[d + t]), v, a1);
                    a2 = Vector256.FusedMultiplyAdd(Vector256.Create(q[2 * d + t]), v, a2);
                    a3 = Vector256.FusedMultiplyAdd(Vector256.Create(q[3 * d + t]), v, a3);
                }
                var cn = Vector256.Load(blockNormBase + b * Lanes);
                var minus2 = Vector256.Create(-2f);
                Vector256.Store(Vector256.FusedMultiplyAdd(minus2, a0, cn), dist);
                Vector256.Store(Vector256.FusedMultiplyAdd(minus2, a1, cn), dist + Lanes);
                Vector256.Store(Vector256.FusedMultiplyAdd(minus2, a2, cn), dist + 2 * Lanes);
                Vector256.Store(Vector256.FusedMultiplyAdd(minus2, a3, cn), dist + 3 * Lanes);
                for (int r = 0; r < rows; r++)
                {
                    // The query's own norm is a constant per row: rank by ‖y‖² − 2x·y and add ‖x‖² at the end.
                    var row = Vector256.Load(dist + r * Lanes);
                    uint mask = Vector256.LessThan(row, Vector256.Create(threshold[r])).ExtractMostSignificantBits();
                    while (mask != 0)
                    {
                        int lane = System.Numerics.BitOperations.TrailingZeroCount(mask);
                        mask &= mask - 1;
                        int j = b * Lanes + lane;
                        if (j == i0 + r) continue;
                        threshold[r] = Push(heapDist.AsSpan(r * k, k), heapIdx.AsSpan(r * k, k), ref counts[r], k, dist[r * Lanes + lane], j);
                    }
                }
            }
        }
    }

    /// <summary>Adds (value, index) to a bounded max-heap; returns the admission threshold (the worst kept value once full).</summary>
    private static float Push(Span<float> hd, Span<int> hi, ref int count, int k, float value, int index)
    {
        if (count < k)
        {
            int c = count++;
            hd[c] = value; hi[c] = index;
            while (c > 0)
            {
                int p = (c - 1) / 2;
                if (!Worse(hd[c], hi[c], hd[p], hi[p])) break;
                (hd[c], hd[p]) = (hd[p], hd[c]); (hi[c], hi[p]) = (hi[p], hi[c]);
                c = p;
            }
            return count < k ? float.PositiveInfinity : BitIncrement(hd[0]);
        }
        if (!Worse(hd[0], hi[0], value, index)) return hd[0];
        hd[0] = value; hi[0] = index;
        int at = 0;
        while (true)
        {
            int l = 2 * at + 1, r = l + 1, w = at;
            if (l < k && Worse(hd[l], hi[l], hd[w], hi[w])) w = l;
            if (r < k && Worse(hd[r], hi[r], hd[w], hi[w])) w = r;
            if (w == at) break;
            (hd[at], hd[w]) = (hd[w], hd[at]); (hi[at], hi[w]) = (hi[w], hi[at]);
            at = w;
        }
        // Ties at the threshold are admitted by index order, so admit equal values too.
        return BitIncrement(hd[0]);
    }

    private static float BitIncrement(float v) => MathF.BitIncrement(v);

    private static bool Worse(float d1, int i1, float d2, int i2) => d1 > d2 || (d1 == d2 && i1 > i2);

    /// <summary>Recomputes the survivors' distances from differences and writes them sorted (distance, then index).</summary>
    private static void Finish(float[] x, int d, int i, int k, Span<float> hd, Span<int> hi, Span<int> outIdx, Span<float> outDist)
    {
        var xi = x.AsSpan(i * d, d);
        var pairs = new (float Dist, int Index)[k];
        for (int s = 0; s < k; s++)
        {
            int j = hi[s];
            double sum = 0;
            var xj = x.AsSpan(j * d, d);
            for (int t = 0; t < d; t++) { double diff = xi[t] - xj[t]; sum += diff * diff; }
            pairs[s] = ((float)Math.Sqrt(sum), j);
        }
        Array.Sort(pairs, (a, b) => a.Dist != b.Dist ? a.Dist.CompareTo(b.Dist) : a.Index.CompareTo(b.Index));
        for (int s = 0; s < k; s++) { outIdx[s] = pairs[s].Index; outDist[s] = pairs[s].Dist; }
    }
}
