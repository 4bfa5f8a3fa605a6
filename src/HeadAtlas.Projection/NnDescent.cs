using System.Runtime.Intrinsics;

namespace HeadAtlas.Projection;

/// <summary>
/// Approximate kNN graph by NN-descent (Dong, Moses, Li 2011: "a neighbour of a neighbour is likely a neighbour"),
/// started from random-projection-tree leaves as PyNNDescent does. Euclidean distances, self excluded.
///
/// Deterministic for a seed whatever the thread count: each point keeps the k best candidates under the total order
/// (distance, index), and the k smallest of a set do not depend on the order candidates arrive in; every random
/// choice comes from a stream seeded by (seed, iteration, point); the stopping test counts entries that are new
/// after an iteration, which is order-independent too.
/// </summary>
public static class NnDescent
{
    public sealed record Options
    {
        public int Seed { get; init; } = 0;
        public int Threads { get; init; } = 0;
        /// <summary>Stop when fewer than Delta·n·k entries changed in an iteration.</summary>
        public double Delta { get; init; } = 0.001;
        public int MaxIterations { get; init; } = 12;
        /// <summary>Random-projection trees for the start; 0 = automatic (grows slowly with n).</summary>
        public int Trees { get; init; } = 0;
        /// <summary>Candidates sampled per point per iteration (new and old each); 0 = max(k, 30) capped at 60 (at least k, so every new entry is sampled).</summary>
        public int MaxCandidates { get; init; } = 0;
    }

    public static KnnGraph Build(ReadOnlySpan<float> data, int n, int d, int k, Options? options = null)
    {
        options ??= new Options();
        if (data.Length != (long)n * d) throw new ArgumentException($"data has {data.Length} values, expected n·d = {n}·{d}");
        if (k < 1 || k > n - 1) throw new ArgumentException($"k must be in 1..n−1 = {n - 1} (got {k})");
        var x = data.ToArray(); // [n, d]
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.Threads > 0 ? options.Threads : Environment.ProcessorCount };
        var heap = new NeighbourHeap(n, k);

        // 1. Start: all pairs within each leaf of a few random-projection trees, then random fill for short rows.
        int trees = options.Trees > 0 ? options.Trees : Math.Clamp(3 + (int)Math.Round(Math.Pow(n, 0.25) / 4), 4, 10);
        int leafSize = Math.Max(2 * k, 40);
        Parallel.For(0, trees, parallel, t =>
        {
            var leaves = new List<(int Start, int Count)>();
            var order = Enumerable.Range(0, n).ToArray();
            var rng = new SplitMix(Mix(options.Seed, -1 - t, 0));
            SplitTree(x, d, order, 0, n, leafSize, rng, leaves, 0);
            foreach (var (start, count) in leaves)
                for (int a = start; a < start + count; a++)
                    for (int b = a + 1; b < start + count; b++)
                    {
                        int i = order[a], j = order[b];
                        float dist = Distance2(x, d, i, j);
                        heap.Push(i, j, dist);
                        heap.Push(j, i, dist);
                    }
        });
        Parallel.For(0, n, parallel, i =>
        {
            var rng = new SplitMix(Mix(options.Seed, -100, i));
            for (int tries = 0; heap.Count(i) < k && tries < 50 * k; tries++)
            {
                int j = (int)(rng.Next() % (ulong)n);
                if (j != i) heap.Push(i, j, Distance2(x, d, i, j));
            }
        });

        // 2. NN-descent: compare, for each point, its sampled new neighbours (forward and reverse) with each other and
        // with its old neighbours; each comparison can improve both ends.
        int maxCandidates = Math.Max(k, options.MaxCandidates > 0 ? options.MaxCandidates : Math.Min(60, Math.Max(k, 30)));
        PhaseMemory.Trace("NN-descent: start (trees, random fill)");
        var newCand = new int[n * maxCandidates]; var newCount = new int[n];  // [n, maxCandidates]
        var oldCand = new int[n * maxCandidates]; var oldCount = new int[n];  // [n, maxCandidates]
        var scratch = new CandidateScratch(n); // reused across iterations
        for (int iter = 0; iter < options.MaxIterations; iter++)
        {
            BuildCandidates(heap, n, k, maxCandidates, options.Seed, iter, newCand, newCount, oldCand, oldCount, scratch, parallel);
            Parallel.For(0, n, parallel, i =>
            {
                int nc = newCount[i], oc = oldCount[i];
                var news = newCand.AsSpan(i * maxCandidates, nc);
                var olds = oldCand.AsSpan(i * maxCandidates, oc);
                for (int a = 0; a < nc; a++)
                {
                    int u = news[a];
                    for (int b = a + 1; b < nc; b++) Try(heap, x, d, u, news[b]);
                    for (int b = 0; b < oc; b++) Try(heap, x, d, u, olds[b]);
                }
            });
            long changed = heap.CountNew(parallel);
            if (iter == 0) PhaseMemory.Trace("NN-descent: first iteration");
            if (changed < options.Delta * n * k) break;
        }
        return heap.ToGraph(parallel);
    }

    private static void Try(NeighbourHeap heap, float[] x, int d, int u, int v)
    {
        if (u == v) return;
        float dist = Distance2(x, d, u, v);
        if (dist <= heap.Threshold(u)) heap.Push(u, v, dist);
        if (dist <= heap.Threshold(v)) heap.Push(v, u, dist);
    }

    /// <summary>
    /// Per point: up to <paramref name="max"/> neighbours flagged new (chosen by seeded random priority; they become old)
    /// and up to max old ones, each joined by the reverse lists (points that hold this one as a neighbour).
    /// The forward lists are written straight into the first slots of each row of <paramref name="newCand"/> and
    /// <paramref name="oldCand"/>: the reverse pass only appends after a row's forward count, so it still reads them
    /// intact (no separate forward copy: at 1M points and k = 90 that copy was 720 MB).
    /// </summary>
    private static void BuildCandidates(NeighbourHeap heap, int n, int k, int max, int seed, int iter,
        int[] newCand, int[] newCount, int[] oldCand, int[] oldCount, CandidateScratch scratch, ParallelOptions parallel)
    {
        var (fwdNewCount, fwdOldCount, newLimit, oldLimit) = scratch;
        Array.Clear(fwdOldCount);
        Parallel.For(0, n, parallel, i =>
        {
            var rng = new SplitMix(Mix(seed, iter, i));
            Span<ulong> priority = stackalloc ulong[k];
            Span<int> slot = stackalloc int[k];
            int m = 0;
            // Slots are visited in (distance, index) order so the choice does not depend on heap layout.
            var sorted = heap.SortedSlots(i, slot);
            for (int s = 0; s < sorted; s++)
            {
                int e = slot[s];
                if (heap.IsNew(i, e)) { priority[m] = rng.Next(); slot[m++] = e; }
                else if (fwdOldCount[i] < max) oldCand[i * max + fwdOldCount[i]++] = heap.Index(i, e);
            }
            if (m > max)
            {
                var pr = priority[..m].ToArray(); var sl = slot[..m].ToArray();
                Array.Sort(pr, sl);
                sl.AsSpan(0, max).CopyTo(slot);
                m = max;
            }
            for (int s = 0; s < m; s++)
            {
                newCand[i * max + s] = heap.Index(i, slot[s]);
                heap.MarkOld(i, slot[s]);
            }
            fwdNewCount[i] = m;
        });

        // Reverse lists, built sequentially in point order (deterministic), capped at max per point.
        Array.Copy(fwdNewCount, newCount, n);
        Array.Copy(fwdOldCount, oldCount, n);
        for (int i = 0; i < n; i++) { newLimit[i] = Math.Min(max, 2 * fwdNewCount[i] + max / 2); oldLimit[i] = Math.Min(max, 2 * fwdOldCount[i] + max / 2); }
        for (int i = 0; i < n; i++)
        {
            for (int s = 0; s < fwdNewCount[i]; s++) AddUnique(newCand, newCount, max, newCand[i * max + s], i, newLimit);
            for (int s = 0; s < fwdOldCount[i]; s++) AddUnique(oldCand, oldCount, max, oldCand[i * max + s], i, oldLimit);
        }
    }

    /// <summary>Forward list lengths and per-point caps of <see cref="BuildCandidates"/> (each [n]), allocated once.</summary>
    private sealed record CandidateScratch(int[] FwdNewCount, int[] FwdOldCount, int[] NewLimit, int[] OldLimit)
    {
        public CandidateScratch(int n) : this(new int[n], new int[n], new int[n], new int[n]) { }
    }

    private static void AddUnique(int[] cand, int[] count, int max, int row, int value, int[] limit)
    {
        int c = count[row];
        if (c >= limit[row]) return;
        var list = cand.AsSpan(row * max, c);
        if (list.Contains(value)) return;
        cand[row * max + c] = value;
        count[row] = c + 1;
    }

    /// <summary>Splits order[start..start+count) by the hyperplane halfway between two random members, recursively.</summary>
    private static void SplitTree(float[] x, int d, int[] order, int start, int count, int leafSize, SplitMix rng,
        List<(int, int)> leaves, int depth)
    {
        if (count <= leafSize || depth > 60) { leaves.Add((start, count)); return; }
        int a = order[start + (int)(rng.Next() % (ulong)count)];
        int b = order[start + (int)(rng.Next() % (ulong)count)];
        var normal = new float[d]; // [d]
        float offset = 0;
        for (int t = 0; t < d; t++)
        {
            normal[t] = x[a * d + t] - x[b * d + t];
            offset += normal[t] * 0.5f * (x[a * d + t] + x[b * d + t]);
        }
        int lo = start, hi = start + count - 1;
        while (lo <= hi)
        {
            int i = order[lo];
            float side = System.Numerics.Tensors.TensorPrimitives.Dot(normal, x.AsSpan(i * d, d)) - offset;
            // Points on the plane (e.g. a == b, duplicates) go to a random side so splits always make progress.
            bool left = side > 0 || (side == 0 && (rng.Next() & 1) == 0);
            if (left) lo++;
            else { (order[lo], order[hi]) = (order[hi], order[lo]); hi--; }
        }
        int leftCount = lo - start;
        if (leftCount == 0 || leftCount == count)
        {
            // Degenerate split: halve at random instead.
            for (int s = count - 1; s > 0; s--)
            {
                int r = (int)(rng.Next() % (ulong)(s + 1));
                (order[start + s], order[start + r]) = (order[start + r], order[start + s]);
            }
            leftCount = count / 2;
        }
        SplitTree(x, d, order, start, leftCount, leafSize, rng, leaves, depth + 1);
        SplitTree(x, d, order, start + leftCount, count - leftCount, leafSize, rng, leaves, depth + 1);
    }

    /// <summary>Squared euclidean distance of rows i and j.</summary>
    internal static float Distance2(float[] x, int d, int i, int j)
    {
        var a = x.AsSpan(i * d, d);
        var b = x.AsSpan(j * d, d);
        int t = 0;
        var acc = Vector256<float>.Zero;
        for (; t + 8 <= d; t += 8)
        {
            var diff = Vector256.Create(a.Slice(t, 8)) - Vector256.Create(b.Slice(t, 8));
            acc = Vector256.FusedMultiplyAdd(diff, diff, acc);
        }
        float sum = Vector256.Sum(acc);
        for (; t < d; t++) { float diff = a[t] - b[t]; sum += diff * diff; }
        return sum;
    }

    internal static ulong Mix(int seed, int stream, int item)
    {
        ulong z = (ulong)(uint)seed * 0x9E3779B97F4A7C15UL ^ (ulong)(uint)stream * 0xC2B2AE3D27D4EB4FUL ^ (ulong)(uint)item * 0x165667B19E3779F9UL;
        return SplitMix.Scramble(z + 0x9E3779B97F4A7C15UL);
    }
}

/// <summary>SplitMix64: a tiny, fast, seedable generator; one per stream.</summary>
internal sealed class SplitMix(ulong state)
{
    private ulong _state = state;
    public ulong Next() => Scramble(_state += 0x9E3779B97F4A7C15UL);
    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));
    public static ulong Scramble(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

/// <summary>
/// Per point, a bounded max-heap of its best k (squared distance, index) pairs under the total order (distance, index),
/// with a "new" flag per entry. Pushes lock only the target point, so threads can push concurrently.
/// </summary>
internal sealed class NeighbourHeap
{
    private readonly int _n, _k;
    private readonly float[] _dist;  // [n, k] max-heap by (dist, index); +∞ when empty
    private readonly int[] _index;   // [n, k]; −1 when empty
    private readonly bool[] _isNew;  // [n, k]
    private readonly int[] _locks;   // [n] 0 free, 1 held

    public NeighbourHeap(int n, int k)
    {
        _n = n; _k = k;
        _dist = new float[n * k]; Array.Fill(_dist, float.PositiveInfinity);
        _index = new int[n * k]; Array.Fill(_index, -1);
        _isNew = new bool[n * k];
        _locks = new int[n];
    }

    /// <summary>The worst kept distance (a stale read is only ever larger, so using it as a pre-filter is safe).</summary>
    public float Threshold(int i) => Volatile.Read(ref _dist[i * _k]);
    public int Index(int i, int slot) => _index[i * _k + slot];
    public bool IsNew(int i, int slot) => _isNew[i * _k + slot];
    public void MarkOld(int i, int slot) => _isNew[i * _k + slot] = false;

    public int Count(int i)
    {
        int c = 0;
        for (int s = 0; s < _k; s++) if (_index[i * _k + s] >= 0) c++;
        return c;
    }

    public void Push(int i, int j, float dist)
    {
        int b = i * _k;
        while (Interlocked.CompareExchange(ref _locks[i], 1, 0) != 0) Thread.SpinWait(1);
        try
        {
            if (!Better(dist, j, _dist[b], _index[b])) return;
            for (int s = 0; s < _k; s++) if (_index[b + s] == j) return;
            _dist[b] = dist; _index[b] = j; _isNew[b] = true;
            int at = 0;
            while (true)
            {
                int l = 2 * at + 1, r = l + 1, w = at;
                if (l < _k && Better(_dist[b + w], _index[b + w], _dist[b + l], _index[b + l])) w = l;
                if (r < _k && Better(_dist[b + w], _index[b + w], _dist[b + r], _index[b + r])) w = r;
                if (w == at) break;
                (_dist[b + at], _dist[b + w]) = (_dist[b + w], _dist[b + at]);
                (_index[b + at], _index[b + w]) = (_index[b + w], _index[b + at]);
                (_isNew[b + at], _isNew[b + w]) = (_isNew[b + w], _isNew[b + at]);
                at = w;
            }
        }
        finally { Volatile.Write(ref _locks[i], 0); }
    }

    /// <summary>(d1, i1) before (d2, i2) in the total order; empty slots (index −1, +∞) come last.</summary>
    private static bool Better(float d1, int i1, float d2, int i2)
    {
        if (i2 < 0) return i1 >= 0;
        return d1 < d2 || (d1 == d2 && i1 < i2);
    }

    /// <summary>Writes the filled slots of row i in (distance, index) order into <paramref name="slots"/>; returns their count.</summary>
    public int SortedSlots(int i, Span<int> slots)
    {
        int m = 0;
        for (int s = 0; s < _k; s++) if (_index[i * _k + s] >= 0) slots[m++] = s;
        int b = i * _k;
        // Insertion sort: k is small.
        for (int a = 1; a < m; a++)
        {
            int v = slots[a], c = a - 1;
            while (c >= 0 && Better(_dist[b + v], _index[b + v], _dist[b + slots[c]], _index[b + slots[c]])) { slots[c + 1] = slots[c]; c--; }
            slots[c + 1] = v;
        }
        return m;
    }

    /// <summary>Entries flagged new. Sampling clears the flags of every new entry (at most k ≤ max candidates), so
    /// after a join this counts exactly the entries that iteration added.</summary>
    public long CountNew(ParallelOptions parallel)
    {
        long total = 0;
        for (int t = 0; t < _isNew.Length; t++) if (_isNew[t]) total++;
        return total;
    }

    public KnnGraph ToGraph(ParallelOptions parallel)
    {
        var indices = new int[_n * _k];
        var distances = new float[_n * _k];
        Parallel.For(0, _n, parallel, i =>
        {
            Span<int> slots = stackalloc int[_k];
            int m = SortedSlots(i, slots);
            if (m < _k) throw new InvalidOperationException($"NN-descent found only {m} of {_k} neighbours for point {i}");
            for (int s = 0; s < _k; s++)
            {
                indices[i * _k + s] = _index[i * _k + slots[s]];
                distances[i * _k + s] = MathF.Sqrt(_dist[i * _k + slots[s]]);
            }
        });
        return new KnnGraph(_n, _k, indices, distances);
    }
}
