using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace HeadAtlas.Projection;

/// <summary>
/// Repulsive t-SNE forces in 3D by a Barnes-Hut octree (van der Maaten 2014): a cell far enough away
/// (side / distance &lt; θ) acts as one point at its centre of mass.
///
/// Layout: the tree is one flat array of small structs (float centre of mass, side, count, children, point range),
/// built sequentially each iteration without allocating; the points are copied in tree order into float arrays
/// (relative to the centre of the bounding box), so every leaf's points are contiguous. Leaves hold up to
/// <see cref="LeafSize"/> points.
///
/// Group walk (Barnes 1990): the tree is walked once per leaf, not once per point. A cell is accepted for the whole
/// leaf when side / (distance from the cell's centre of mass to the leaf's bounding box) &lt; θ, which bounds
/// side / distance for every point of the leaf, so each point is approximated at least as well as by scikit-learn's
/// per-point walk at the same θ. The accepted cells and the points of opened leaves form an interaction list that
/// each point of the leaf sums with a SIMD loop (the list includes the point itself, q = 1 and no force, subtracted
/// from Z afterwards). Leaves are processed in parallel; every point's sum has a fixed order, so the result does not
/// depend on the thread count.
/// </summary>
internal sealed class BarnesHutRepulsion
{
    private const int MaxDepth = 32;
    public double Theta { get; init; } = 0.5;
    /// <summary>Most points in a leaf (tuned with bench/HeadAtlas.UmapBench bh).</summary>
    public int LeafSize { get; init; } = 64;
    /// <summary>Interaction-list entries summed in the last <see cref="Compute"/> (diagnostics).</summary>
    public long LastInteractions { get; private set; }
    private readonly ParallelOptions parallel;

    /// <summary>Nodes are stored in depth-first preorder: a node's first child is the next node, and
    /// <see cref="Skip"/> is the node after its whole subtree, so the walk is a forward scan without a stack.</summary>
    private struct Node
    {
        public float X, Y, Z;   // centre of mass, relative to the origin
        public float Side2;     // side² of the cube
        public int Count;       // points below
        public int Skip;        // the next node after this subtree (nodeCount after the last)
        public int Leaf;        // 1 for a leaf, else 0
        public int Start;       // points below are tree positions Start .. Start + Count − 1
    }

    private Node[] nodes = new Node[64];
    private int nodeCount;
    private int[] order = [], scratch = [];  // [n] tree position → point; partition buffer
    private byte[] octant = [];               // [n]
    private float[] xs = [], ys = [], zs = []; // [n] point coordinates by point index, relative to the origin
    private float[] tx = [], ty = [], tz = []; // [n] the same, in tree order
    private readonly List<int> leaves = new();

    public BarnesHutRepulsion(ParallelOptions parallel) => this.parallel = parallel;

    /// <summary>y: [n, 3]. Writes rep[n, 3] = Σⱼ q²ᵢⱼ(yᵢ − yⱼ) (not divided by Z) and returns Z = Σ_{i≠j} qᵢⱼ.</summary>
    public double Compute(double[] y, int n, double[] rep)
    {
        Build(y, n);
        var zPart = new double[n];
        long interactions = 0;
        float theta2 = (float)(Theta * Theta);
        var nodes = this.nodes;
        float[] tx = this.tx, ty = this.ty, tz = this.tz;
        int[] order = this.order;
        var leaves = this.leaves;
        const int LeavesPerChunk = 16;
        Parallel.For(0, (leaves.Count + LeavesPerChunk - 1) / LeavesPerChunk, parallel, () => new Walker(), (chunk, _, w) =>
        {
                int stop = Math.Min(leaves.Count, (chunk + 1) * LeavesPerChunk);
            for (int g = chunk * LeavesPerChunk; g < stop; g++)
            {
                ref readonly var leaf = ref nodes[leaves[g]];
                int first = leaf.Start, last = leaf.Start + leaf.Count;
                float lx = float.MaxValue, ly = float.MaxValue, lz = float.MaxValue, hx = float.MinValue, hy = float.MinValue, hz = float.MinValue;
                for (int t = first; t < last; t++)
                {
                    lx = MathF.Min(lx, tx[t]); hx = MathF.Max(hx, tx[t]);
                    ly = MathF.Min(ly, ty[t]); hy = MathF.Max(hy, ty[t]);
                    lz = MathF.Min(lz, tz[t]); hz = MathF.Max(hz, tz[t]);
                }
                var list = w.List;
                list.Clear(0.5f * (lx + hx), 0.5f * (ly + hy), 0.5f * (lz + hz));
                int end = nodeCount;
                for (int k = 0; k < end;)
                {
                    ref readonly var node = ref nodes[k];
                    float cx = node.X, cy = node.Y, cz = node.Z;
                    float dx = MathF.Max(MathF.Max(lx - cx, cx - hx), 0), dy = MathF.Max(MathF.Max(ly - cy, cy - hy), 0), dz = MathF.Max(MathF.Max(lz - cz, cz - hz), 0);
                    if (node.Side2 < theta2 * (dx * dx + dy * dy + dz * dz)) { list.Add(cx, cy, cz, node.Count); k = node.Skip; }
                    else if (node.Leaf != 0) { list.AddPoints(tx, ty, tz, node.Start, node.Count); k = node.Skip; }
                    else k++; // into the first child
                }
                list.PadToVector();
                w.Interactions += (long)list.Count * leaf.Count;
                for (int t = first; t < last; t++)
                {
                    int i = order[t];
                    var (fx, fy, fz, zSum) = list.Sum(tx[t], ty[t], tz[t]);
                    rep[3 * i] = fx; rep[3 * i + 1] = fy; rep[3 * i + 2] = fz;
                    zPart[i] = zSum - 1; // the point itself is in the list with q = 1
                }
            }
            return w;
        }, w => Interlocked.Add(ref interactions, w.Interactions));
        LastInteractions = interactions;
        double z = 0;
        for (int i = 0; i < n; i++) z += zPart[i];
        return z;
    }

    /// <summary>Per-thread buffers of the walk.</summary>
    private sealed class Walker
    {
        public readonly InteractionList List = new();
        public long Interactions;
    }

    /// <summary>Sources acting on one leaf: positions relative to an origin at the leaf (so near sources, where
    /// precision matters, have small coordinates) and masses (point counts); float structure of arrays, 8 lanes.</summary>
    private sealed class InteractionList
    {
        private float[] x = new float[512], y = new float[512], z = new float[512], mass = new float[512];
        private float ox, oy, oz;
        public int Count;

        public void Clear(float originX, float originY, float originZ) { Count = 0; ox = originX; oy = originY; oz = originZ; }

        private void Reserve(int more)
        {
            if (Count + more <= x.Length) return;
            int size = Math.Max(2 * x.Length, Count + more);
            Array.Resize(ref x, size); Array.Resize(ref y, size); Array.Resize(ref z, size); Array.Resize(ref mass, size);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Add(float px, float py, float pz, float m)
        {
            Reserve(1);
            x[Count] = px - ox; y[Count] = py - oy; z[Count] = pz - oz; mass[Count] = m; Count++;
        }

        /// <summary>Adds the points start .. start + count − 1 (tree order) with mass 1, eight at a time.</summary>
        public void AddPoints(float[] px, float[] py, float[] pz, int start, int count)
        {
            Reserve(count + Vector256<float>.Count);
            var vox = Vector256.Create(ox); var voy = Vector256.Create(oy); var voz = Vector256.Create(oz);
            int t = 0;
            for (; t + Vector256<float>.Count <= count; t += Vector256<float>.Count)
            {
                (Vector256.LoadUnsafe(ref px[start + t]) - vox).StoreUnsafe(ref x[Count + t]);
                (Vector256.LoadUnsafe(ref py[start + t]) - voy).StoreUnsafe(ref y[Count + t]);
                (Vector256.LoadUnsafe(ref pz[start + t]) - voz).StoreUnsafe(ref z[Count + t]);
                Vector256.Create(1f).StoreUnsafe(ref mass[Count + t]);
            }
            for (; t < count; t++)
            {
                x[Count + t] = px[start + t] - ox; y[Count + t] = py[start + t] - oy; z[Count + t] = pz[start + t] - oz; mass[Count + t] = 1;
            }
            Count += count;
        }

        /// <summary>Pads with massless sources to a whole number of vectors.</summary>
        public void PadToVector()
        {
            while (Count % Vector256<float>.Count != 0) Add(ox, oy, oz, 0);
        }

        /// <summary>Σ m q² (p − s) and Σ m q over the sources s, q = 1/(1+‖p−s‖²); fixed summation order.</summary>
        public (double Fx, double Fy, double Fz, double Z) Sum(float px, float py, float pz)
        {
            var vx = Vector256.Create(px - ox); var vy = Vector256.Create(py - oy); var vz = Vector256.Create(pz - oz);
            var one = Vector256.Create(1f);
            var fx = Vector256<float>.Zero; var fy = Vector256<float>.Zero; var fz = Vector256<float>.Zero; var zs = Vector256<float>.Zero;
            ref float rx = ref x[0], ry = ref y[0], rz = ref z[0], rm = ref mass[0];
            for (int t = 0; t < Count; t += Vector256<float>.Count)
            {
                var dx = vx - Vector256.LoadUnsafe(ref rx, (nuint)t);
                var dy = vy - Vector256.LoadUnsafe(ref ry, (nuint)t);
                var dz = vz - Vector256.LoadUnsafe(ref rz, (nuint)t);
                var q = FastReciprocal.Of(Vector256.FusedMultiplyAdd(dz, dz, Vector256.FusedMultiplyAdd(dy, dy, Vector256.FusedMultiplyAdd(dx, dx, one))));
                var mq = Vector256.LoadUnsafe(ref rm, (nuint)t) * q;
                zs += mq;
                var mq2 = mq * q;
                fx = Vector256.FusedMultiplyAdd(mq2, dx, fx); fy = Vector256.FusedMultiplyAdd(mq2, dy, fy); fz = Vector256.FusedMultiplyAdd(mq2, dz, fz);
            }
            return (Vector256.Sum(fx), Vector256.Sum(fy), Vector256.Sum(fz), Vector256.Sum(zs));
        }
    }

    private void Build(double[] y, int n)
    {
        if (order.Length != n)
        {
            order = new int[n]; scratch = new int[n]; octant = new byte[n];
            xs = new float[n]; ys = new float[n]; zs = new float[n];
            tx = new float[n]; ty = new float[n]; tz = new float[n];
        }
        double lox = double.MaxValue, loy = double.MaxValue, loz = double.MaxValue, hix = double.MinValue, hiy = double.MinValue, hiz = double.MinValue;
        for (int i = 0; i < n; i++)
        {
            lox = Math.Min(lox, y[3 * i]); hix = Math.Max(hix, y[3 * i]);
            loy = Math.Min(loy, y[3 * i + 1]); hiy = Math.Max(hiy, y[3 * i + 1]);
            loz = Math.Min(loz, y[3 * i + 2]); hiz = Math.Max(hiz, y[3 * i + 2]);
        }
        double ox = 0.5 * (lox + hix), oy = 0.5 * (loy + hiy), oz = 0.5 * (loz + hiz);
        double h = Math.Max(hix - lox, Math.Max(hiy - loy, hiz - loz)) * 0.5;
        h = h * 1.0001 + 1e-12;
        for (int i = 0; i < n; i++)
        {
            xs[i] = (float)(y[3 * i] - ox); ys[i] = (float)(y[3 * i + 1] - oy); zs[i] = (float)(y[3 * i + 2] - oz);
            order[i] = i;
        }
        nodeCount = 0;
        leaves.Clear();
        Split(0, n, 0, 0, 0, (float)h, 0);
        for (int t = 0; t < n; t++) { int i = order[t]; tx[t] = xs[i]; ty[t] = ys[i]; tz[t] = zs[i]; }
    }

    /// <summary>Appends the node (in preorder) holding order[start..end) in the cube of centre (cx, cy, cz) and half
    /// side h: a leaf if few points (or too deep), else followed by the subtrees of its non-empty octants (partitioned
    /// by a stable counting sort, so the layout is deterministic). Sets the node's centre of mass.</summary>
    private void Split(int start, int end, float cx, float cy, float cz, float h, int depth)
    {
        int cnt = end - start;
        int node = nodeCount++;
        if (nodeCount > nodes.Length) Array.Resize(ref nodes, 2 * nodes.Length);
        nodes[node] = new Node { Side2 = 4 * h * h, Count = cnt, Start = start };
        if (cnt <= LeafSize || depth >= MaxDepth)
        {
            double sx = 0, sy = 0, sz = 0;
            for (int t = start; t < end; t++) { int j = order[t]; sx += xs[j]; sy += ys[j]; sz += zs[j]; }
            ref var leaf = ref nodes[node];
            leaf.X = (float)(sx / cnt); leaf.Y = (float)(sy / cnt); leaf.Z = (float)(sz / cnt);
            leaf.Leaf = 1; leaf.Skip = nodeCount;
            leaves.Add(node);
            return;
        }

        Span<int> bucket = stackalloc int[9];
        bucket.Clear();
        for (int t = start; t < end; t++)
        {
            int j = order[t];
            byte o = (byte)((xs[j] >= cx ? 1 : 0) | (ys[j] >= cy ? 2 : 0) | (zs[j] >= cz ? 4 : 0));
            octant[t] = o;
            bucket[o + 1]++;
        }
        for (int o = 0; o < 8; o++) bucket[o + 1] += bucket[o];
        Span<int> fill = stackalloc int[8];
        for (int o = 0; o < 8; o++) fill[o] = start + bucket[o];
        for (int t = start; t < end; t++) scratch[fill[octant[t]]++] = order[t];
        Array.Copy(scratch, start, order, start, cnt);

        double mx = 0, my = 0, mz = 0;
        float q = 0.5f * h;
        for (int o = 0; o < 8; o++)
        {
            int a = start + bucket[o], b = start + bucket[o + 1];
            if (b == a) continue;
            int child = nodeCount;
            Split(a, b, cx + ((o & 1) != 0 ? q : -q), cy + ((o & 2) != 0 ? q : -q), cz + ((o & 4) != 0 ? q : -q), q, depth + 1);
            ref readonly var c = ref nodes[child];
            mx += (double)c.X * c.Count; my += (double)c.Y * c.Count; mz += (double)c.Z * c.Count;
        }
        ref var self = ref nodes[node];
        self.X = (float)(mx / cnt); self.Y = (float)(my / cnt); self.Z = (float)(mz / cnt);
        self.Skip = nodeCount;
    }
}
