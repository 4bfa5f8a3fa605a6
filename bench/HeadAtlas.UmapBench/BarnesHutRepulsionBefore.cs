using System.Runtime.Intrinsics;

namespace HeadAtlas.Projection;
// The 3D Barnes-Hut repulsion as it was before bench/atlas (commit f32e427), kept here only as the side-by-side baseline of `bh`.

/// <summary>
/// Repulsive t-SNE forces in 3D by a Barnes-Hut octree (van der Maaten 2014): a cell far enough away
/// (side / distance &lt; θ) acts as one point at its centre of mass. Leaves hold up to <see cref="LeafSize"/> points,
/// which are summed exactly unless far enough away themselves. Built sequentially; forces computed per leaf in
/// parallel (deterministic: every point's sum has a fixed order).
/// </summary>
internal sealed class BarnesHutRepulsionBefore
{
    private const int Dims = 3, LeafSize = 8, MaxDepth = 40;
    public double Theta { get; init; } = 0.5;
    private readonly ParallelOptions parallel;

    // Flat tree: per node its cube (centre, half side), point count, centre of mass, first child (8 consecutive) or −1,
    // and for leaves the range of its points in `order`.
    private readonly List<double> center = new(), com = new();
    private readonly List<double> half = new();
    private readonly List<int> count = new(), firstChild = new(), leafStart = new();
    private int[] order = [];

    public BarnesHutRepulsionBefore(ParallelOptions parallel) => this.parallel = parallel;

    /// <summary>y: [n, 3]. Writes rep[n, 3] = Σⱼ q²ᵢⱼ(yᵢ − yⱼ) (not divided by Z) and returns Z = Σ_{i≠j} qᵢⱼ.</summary>
    /// <remarks>
    /// Group walk (Barnes 1990): the tree is walked once per leaf, not once per point. A cell is accepted for the
    /// whole leaf when side / (distance from the cell's centre of mass to the leaf's bounding box) &lt; θ, which
    /// bounds side / distance for every point of the leaf, so each point is approximated at least as well as by the
    /// per-point walk. The accepted cells and the single points of opened leaves form an interaction list that each
    /// point of the leaf then sums with a plain SIMD loop. The list includes the point itself (q = 1, no force),
    /// which is subtracted from Z afterwards.
    /// </remarks>
    public double Compute(double[] y, int n, double[] rep)
    {
        Build(y, n);
        // Plain arrays for the traversal (List indexers cost a bounds and version check each).
        double[] com = this.com.ToArray(), half = this.half.ToArray();
        int[] count = this.count.ToArray(), firstChild = this.firstChild.ToArray(), leafStart = this.leafStart.ToArray(), order = this.order;
        var leaves = new List<int>();
        for (int node = 0; node < count.Length; node++)
            if (firstChild[node] < 0 && count[node] > 0) leaves.Add(node);
        var zPart = new double[n];
        double theta2 = Theta * Theta;
        const int LeavesPerChunk = 32;
        Parallel.For(0, (leaves.Count + LeavesPerChunk - 1) / LeavesPerChunk, parallel, chunk =>
        {
            var stack = new int[8 * MaxDepth + 16]; // depth-first: at most 7 pending siblings per level
            var list = new InteractionList();
            int end = Math.Min(leaves.Count, (chunk + 1) * LeavesPerChunk);
            for (int g = chunk * LeavesPerChunk; g < end; g++)
            {
                int leaf = leaves[g], first = leafStart[leaf], cntLeaf = count[leaf];
                double lx = double.MaxValue, ly = double.MaxValue, lz = double.MaxValue, hx = double.MinValue, hy = double.MinValue, hz = double.MinValue;
                for (int t = first; t < first + cntLeaf; t++)
                {
                    int j = order[t];
                    lx = Math.Min(lx, y[3 * j]); hx = Math.Max(hx, y[3 * j]);
                    ly = Math.Min(ly, y[3 * j + 1]); hy = Math.Max(hy, y[3 * j + 1]);
                    lz = Math.Min(lz, y[3 * j + 2]); hz = Math.Max(hz, y[3 * j + 2]);
                }
                list.Clear(0.5 * (lx + hx), 0.5 * (ly + hy), 0.5 * (lz + hz));
                int top = 0;
                stack[top++] = 0;
                while (top > 0)
                {
                    int node = stack[--top];
                    int cnt = count[node];
                    if (cnt == 0) continue;
                    double cx = com[3 * node], cy = com[3 * node + 1], cz = com[3 * node + 2];
                    double dx = Math.Max(Math.Max(lx - cx, cx - hx), 0), dy = Math.Max(Math.Max(ly - cy, cy - hy), 0), dz = Math.Max(Math.Max(lz - cz, cz - hz), 0);
                    double side = 2 * half[node];
                    if (side * side < theta2 * (dx * dx + dy * dy + dz * dz)) list.Add(cx, cy, cz, cnt);
                    else if (firstChild[node] < 0)
                        for (int t = leafStart[node]; t < leafStart[node] + cnt; t++) { int j = order[t]; list.Add(y[3 * j], y[3 * j + 1], y[3 * j + 2], 1); }
                    else
                        for (int c = 7; c >= 0; c--) stack[top++] = firstChild[node] + c;
                }
                list.PadToVector();
                for (int t = first; t < first + cntLeaf; t++)
                {
                    int i = order[t];
                    var (fx, fy, fz, zSum) = list.Sum(y[3 * i], y[3 * i + 1], y[3 * i + 2]);
                    rep[3 * i] = fx; rep[3 * i + 1] = fy; rep[3 * i + 2] = fz;
                    zPart[i] = zSum - 1; // the point itself is in the list with q = 1
                }
            }
        });
        double z = 0;
        for (int i = 0; i < n; i++) z += zPart[i];
        return z;
    }

    /// <summary>Sources acting on one leaf: positions relative to an origin near the leaf (so near sources, where
    /// precision matters, have small coordinates) and masses (point counts); float structure of arrays, 8 lanes.</summary>
    private sealed class InteractionList
    {
        private float[] x = new float[256], y = new float[256], z = new float[256], mass = new float[256];
        private double ox, oy, oz;
        public int Count;

        public void Clear(double originX, double originY, double originZ) { Count = 0; ox = originX; oy = originY; oz = originZ; }

        public void Add(double px, double py, double pz, double m)
        {
            if (Count == x.Length)
            {
                Array.Resize(ref x, 2 * Count); Array.Resize(ref y, 2 * Count);
                Array.Resize(ref z, 2 * Count); Array.Resize(ref mass, 2 * Count);
            }
            x[Count] = (float)(px - ox); y[Count] = (float)(py - oy); z[Count] = (float)(pz - oz); mass[Count] = (float)m; Count++;
        }

        /// <summary>Pads with massless sources to a whole number of vectors.</summary>
        public void PadToVector()
        {
            while (Count % Vector256<float>.Count != 0) Add(ox, oy, oz, 0);
        }

        /// <summary>Σ m q² (p − s) and Σ m q over the sources s, q = 1/(1+‖p−s‖²); fixed summation order.</summary>
        public (double Fx, double Fy, double Fz, double Z) Sum(double px, double py, double pz)
        {
            var vx = Vector256.Create((float)(px - ox)); var vy = Vector256.Create((float)(py - oy)); var vz = Vector256.Create((float)(pz - oz));
            var one = Vector256.Create(1f);
            var fx = Vector256<float>.Zero; var fy = Vector256<float>.Zero; var fz = Vector256<float>.Zero; var zs = Vector256<float>.Zero;
            ref float rx = ref x[0], ry = ref y[0], rz = ref z[0], rm = ref mass[0];
            for (int t = 0; t < Count; t += Vector256<float>.Count)
            {
                var dx = vx - Vector256.LoadUnsafe(ref rx, (nuint)t);
                var dy = vy - Vector256.LoadUnsafe(ref ry, (nuint)t);
                var dz = vz - Vector256.LoadUnsafe(ref rz, (nuint)t);
                var q = one / (one + dx * dx + dy * dy + dz * dz);
                var mq = Vector256.LoadUnsafe(ref rm, (nuint)t) * q;
                zs += mq;
                var mq2 = mq * q;
                fx += mq2 * dx; fy += mq2 * dy; fz += mq2 * dz;
            }
            return (Vector256.Sum(fx), Vector256.Sum(fy), Vector256.Sum(fz), Vector256.Sum(zs));
        }
    }

    private void Build(double[] y, int n)
    {
        center.Clear(); com.Clear(); half.Clear(); count.Clear(); firstChild.Clear(); leafStart.Clear();
        var lo = new double[Dims]; var hi = new double[Dims];
        Array.Fill(lo, double.MaxValue); Array.Fill(hi, double.MinValue);
        for (int i = 0; i < n; i++)
            for (int a = 0; a < Dims; a++) { lo[a] = Math.Min(lo[a], y[Dims * i + a]); hi[a] = Math.Max(hi[a], y[Dims * i + a]); }
        double h = 0;
        for (int a = 0; a < Dims; a++) h = Math.Max(h, 0.5 * (hi[a] - lo[a]));
        h = h * 1.0001 + 1e-12;
        order = Enumerable.Range(0, n).ToArray();
        AddNode(0.5 * (lo[0] + hi[0]), 0.5 * (lo[1] + hi[1]), 0.5 * (lo[2] + hi[2]), h);
        Split(0, y, 0, n, 0);
    }

    private int AddNode(double cx, double cy, double cz, double h)
    {
        center.Add(cx); center.Add(cy); center.Add(cz);
        com.Add(0); com.Add(0); com.Add(0);
        half.Add(h); count.Add(0); firstChild.Add(-1); leafStart.Add(0);
        return half.Count - 1;
    }

    /// <summary>Makes `node` hold order[start..end): a leaf if few points (or too deep), else 8 children by octant.</summary>
    private void Split(int node, double[] y, int start, int end, int depth)
    {
        int cnt = end - start;
        count[node] = cnt;
        double sx = 0, sy = 0, sz = 0;
        for (int t = start; t < end; t++) { int j = order[t]; sx += y[3 * j]; sy += y[3 * j + 1]; sz += y[3 * j + 2]; }
        if (cnt > 0) { com[3 * node] = sx / cnt; com[3 * node + 1] = sy / cnt; com[3 * node + 2] = sz / cnt; }
        leafStart[node] = start;
        if (cnt <= LeafSize || depth >= MaxDepth) return;

        double cx = center[3 * node], cy = center[3 * node + 1], cz = center[3 * node + 2], h = half[node];
        // Partition order[start..end) by octant (counting sort, stable so the layout is deterministic).
        var octant = new int[cnt];
        var bucket = new int[9];
        for (int t = 0; t < cnt; t++)
        {
            int j = order[start + t];
            int o = (y[3 * j] >= cx ? 1 : 0) | (y[3 * j + 1] >= cy ? 2 : 0) | (y[3 * j + 2] >= cz ? 4 : 0);
            octant[t] = o;
            bucket[o + 1]++;
        }
        for (int o = 0; o < 8; o++) bucket[o + 1] += bucket[o];
        var sorted = new int[cnt];
        var fill = bucket[..8].ToArray();
        for (int t = 0; t < cnt; t++) sorted[fill[octant[t]]++] = order[start + t];
        Array.Copy(sorted, 0, order, start, cnt);

        int first = -1;
        for (int o = 0; o < 8; o++)
        {
            int child = AddNode(cx + ((o & 1) != 0 ? 0.5 : -0.5) * h, cy + ((o & 2) != 0 ? 0.5 : -0.5) * h, cz + ((o & 4) != 0 ? 0.5 : -0.5) * h, 0.5 * h);
            if (o == 0) first = child;
        }
        firstChild[node] = first;
        for (int o = 0; o < 8; o++) Split(first + o, y, start + bucket[o], start + bucket[o + 1], depth + 1);
    }
}
