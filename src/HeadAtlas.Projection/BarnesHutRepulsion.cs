using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace HeadAtlas.Projection;

/// <summary>
/// Repulsive t-SNE forces in 3D by a Barnes-Hut octree (van der Maaten 2014): a cell far enough away
/// (side / distance &lt; θ) acts as one point at its centre of mass.
///
/// Layout: the tree is one flat array of small structs (float centre of mass, side², count, point range, and the
/// index of the node after its subtree) in depth-first preorder, built sequentially each iteration without
/// allocating, so a walk is a forward scan without a stack; the points are copied in tree order into float arrays
/// (relative to the centre of the bounding box), so every leaf's points are contiguous. Leaves hold up to
/// <see cref="LeafSize"/> points.
///
/// Group walk (Barnes 1990): the tree is walked once per leaf, not once per point. A cell is accepted for the whole
/// leaf when side / (distance from the cell's centre of mass to the leaf's bounding box) &lt; θ, which bounds
/// side / distance for every point of the leaf, so each point is approximated at least as well as by scikit-learn's
/// per-point walk at the same θ. The accepted cells (with masses) and the points of opened leaves (without: one
/// multiply fewer per pair) form two interaction lists that each point of the leaf sums with SIMD loops (the points
/// include the point itself, q = 1 and no force, subtracted from Z afterwards). Leaves are processed in parallel; every point's sum has a fixed order, so the result does not
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
    private double[] zParts = [];              // [n] each point's Σ q (kept: 16k doubles would be a large-object allocation per call)
    // Blocks: the children of each internal node in the 8 lanes of one vector, so the walk tests them together.
    private float[] blockX = [], blockY = [], blockZ = [], blockSide2 = [], blockMass = []; // [blocks, 8] centre of mass, side² (∞ if empty), point count
    private int[] blockStart = [], blockCount = [], blockChild = []; // [blocks, 8] point range; the child's own block (internal children)
    private byte[] blockLeaves = [], blockInner = [];                // [blocks] lane masks of leaf and internal children
    private int[] blockOf = [];                                      // [nodes] block of an internal node's children

    public BarnesHutRepulsion(ParallelOptions parallel) => this.parallel = parallel;

    /// <summary>y: [n, 3]. Writes rep[n, 3] = Σⱼ q²ᵢⱼ(yᵢ − yⱼ) (not divided by Z) and returns Z = Σ_{i≠j} qᵢⱼ.</summary>
    public double Compute(double[] y, int n, double[] rep)
    {
        Build(y, n);
        if (zParts.Length != n) zParts = new double[n];
        var zPart = zParts; // every entry is written below
        long interactions = 0;
        float theta2 = (float)(Theta * Theta);
        var nodes = this.nodes;
        float[] tx = this.tx, ty = this.ty, tz = this.tz;
        int[] order = this.order;
        var leaves = this.leaves;
        float[] blockX = this.blockX, blockY = this.blockY, blockZ = this.blockZ, blockSide2 = this.blockSide2, blockMass = this.blockMass;
        int[] blockStart = this.blockStart, blockCount = this.blockCount, blockChild = this.blockChild;
        byte[] blockLeaves = this.blockLeaves, blockInner = this.blockInner;
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
                list.Reserve(nodeCount, n);
                list.Clear(0.5f * (lx + hx), 0.5f * (ly + hy), 0.5f * (lz + hz));
                if (nodes[0].Leaf != 0) list.AddPoints(tx, ty, tz, 0, n);
                else
                {
                    // Eight children at a time: block b holds the children of one internal node in its lanes.
                    var stack = w.Stack;
                    int top = 0;
                    stack[top++] = 0; // the root's block
                    var vlx = Vector256.Create(lx); var vly = Vector256.Create(ly); var vlz = Vector256.Create(lz);
                    var vhx = Vector256.Create(hx); var vhy = Vector256.Create(hy); var vhz = Vector256.Create(hz);
                    var vTheta2 = Vector256.Create(theta2);
                    while (top > 0)
                    {
                        int b = stack[--top], o = 8 * b;
                        var cx = Vector256.LoadUnsafe(ref blockX[o]); var cy = Vector256.LoadUnsafe(ref blockY[o]); var cz = Vector256.LoadUnsafe(ref blockZ[o]);
                        var dx = Vector256.Max(Vector256.Max(vlx - cx, cx - vhx), Vector256<float>.Zero);
                        var dy = Vector256.Max(Vector256.Max(vly - cy, cy - vhy), Vector256<float>.Zero);
                        var dz = Vector256.Max(Vector256.Max(vlz - cz, cz - vhz), Vector256<float>.Zero);
                        // The same operations as one node at a time: side² < θ² · distance² (empty lanes: side² = ∞).
                        var near = (dx * dx + dy * dy) + dz * dz;
                        uint accepted = Vector256.LessThan(Vector256.LoadUnsafe(ref blockSide2[o]), vTheta2 * near).ExtractMostSignificantBits();
                        if (accepted != 0) list.AddCells(accepted, cx, cy, cz, Vector256.LoadUnsafe(ref blockMass[o]));
                        uint opened = ~accepted & 0xFF;
                        for (uint l = opened & blockLeaves[b]; l != 0; l &= l - 1)
                        {
                            int lane = o + System.Numerics.BitOperations.TrailingZeroCount(l);
                            list.AddPoints(tx, ty, tz, blockStart[lane], blockCount[lane]);
                        }
                        for (uint l = opened & blockInner[b]; l != 0; l &= l - 1)
                            stack[top++] = blockChild[o + System.Numerics.BitOperations.TrailingZeroCount(l)];
                    }
                }
                list.Finish();
                w.Interactions += (long)(list.Cells + list.Points) * leaf.Count;
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
        public readonly int[] Stack = new int[8 * MaxDepth + 16]; // depth-first: at most 8 blocks pushed per level
        public readonly InteractionList List = new();
        public long Interactions;
    }

    /// <summary>Sources acting on one leaf: positions relative to an origin at the leaf (so near sources, where
    /// precision matters, have small coordinates); float structure of arrays, 8 lanes. Accepted cells (with their
    /// point counts as masses) and the points of opened leaves (mass 1, so no multiply) are kept apart.</summary>
    private sealed class InteractionList
    {
        private float[] cx = [], cy = [], cz = [], cm = []; // [cells + padding] accepted cells: centre of mass, mass
        private float[] px = [], py = [], pz = [];          // [points + 8 slack] points of opened leaves
        private float ox, oy, oz;
        public int Cells, Points;

        /// <summary>Room for <paramref name="cells"/> cells and <paramref name="points"/> points (once per call:
        /// the adds do not check).</summary>
        public void Reserve(int cells, int points)
        {
            if (cx.Length < cells + Vector256<float>.Count)
            {
                int size = cells + Vector256<float>.Count;
                cx = new float[size]; cy = new float[size]; cz = new float[size]; cm = new float[size];
            }
            if (px.Length < points + Vector256<float>.Count)
            {
                int size = points + Vector256<float>.Count;
                px = new float[size]; py = new float[size]; pz = new float[size];
            }
        }

        public void Clear(float originX, float originY, float originZ) { Cells = 0; Points = 0; ox = originX; oy = originY; oz = originZ; }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void AddCell(float x, float y, float z, float m)
        {
            Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(cx), Cells) = x - ox;
            Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(cy), Cells) = y - oy;
            Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(cz), Cells) = z - oz;
            Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(cm), Cells) = m;
            Cells++;
        }

        /// <summary>Adds the lanes of <paramref name="lanes"/> (a bit mask) as cells, packed to the front of one
        /// vector store per array (lanes past the last kept one write into the slack, overwritten later).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void AddCells(uint lanes, Vector256<float> x, Vector256<float> y, Vector256<float> z, Vector256<float> m)
        {
            if (!Avx2.IsSupported)
            {
                for (uint l = lanes; l != 0; l &= l - 1)
                {
                    int lane = System.Numerics.BitOperations.TrailingZeroCount(l);
                    AddCell(x.GetElement(lane), y.GetElement(lane), z.GetElement(lane), m.GetElement(lane));
                }
                return;
            }
            var pack = LeftPack[lanes];
            nuint at = (nuint)Cells;
            Avx2.PermuteVar8x32(x - Vector256.Create(ox), pack).StoreUnsafe(ref MemoryMarshal.GetArrayDataReference(cx), at);
            Avx2.PermuteVar8x32(y - Vector256.Create(oy), pack).StoreUnsafe(ref MemoryMarshal.GetArrayDataReference(cy), at);
            Avx2.PermuteVar8x32(z - Vector256.Create(oz), pack).StoreUnsafe(ref MemoryMarshal.GetArrayDataReference(cz), at);
            Avx2.PermuteVar8x32(m, pack).StoreUnsafe(ref MemoryMarshal.GetArrayDataReference(cm), at);
            Cells += System.Numerics.BitOperations.PopCount(lanes);
        }

        /// <summary>[256] for each 8-bit lane mask, the permutation moving its set lanes to the front, in order.</summary>
        private static readonly Vector256<int>[] LeftPack = MakeLeftPack();

        private static Vector256<int>[] MakeLeftPack()
        {
            var table = new Vector256<int>[256];
            Span<int> lanes = stackalloc int[8];
            for (int mask = 0; mask < 256; mask++)
            {
                lanes.Clear();
                int k = 0;
                for (int l = 0; l < 8; l++) if ((mask & (1 << l)) != 0) lanes[k++] = l;
                table[mask] = Vector256.Create(lanes[0], lanes[1], lanes[2], lanes[3], lanes[4], lanes[5], lanes[6], lanes[7]);
            }
            return table;
        }

        /// <summary>Adds the points start .. start + count − 1 (tree order), in whole vectors: up to 7 points past the
        /// range are copied too (the source arrays have 8 slack), into the slack after <see cref="Points"/>, where the
        /// next call overwrites them and <see cref="Sum"/> masks them off.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void AddPoints(float[] sx, float[] sy, float[] sz, int start, int count)
        {
            var vox = Vector256.Create(ox); var voy = Vector256.Create(oy); var voz = Vector256.Create(oz);
            ref float rx = ref MemoryMarshal.GetArrayDataReference(px), ry = ref MemoryMarshal.GetArrayDataReference(py), rz = ref MemoryMarshal.GetArrayDataReference(pz);
            ref float ax = ref MemoryMarshal.GetArrayDataReference(sx), ay = ref MemoryMarshal.GetArrayDataReference(sy), az = ref MemoryMarshal.GetArrayDataReference(sz);
            for (int t = 0; t < count; t += Vector256<float>.Count)
            {
                nuint from = (nuint)(start + t), to = (nuint)(Points + t);
                (Vector256.LoadUnsafe(ref ax, from) - vox).StoreUnsafe(ref rx, to);
                (Vector256.LoadUnsafe(ref ay, from) - voy).StoreUnsafe(ref ry, to);
                (Vector256.LoadUnsafe(ref az, from) - voz).StoreUnsafe(ref rz, to);
            }
            Points += count;
        }

        /// <summary>Pads the cells with massless ones to a whole number of vectors.</summary>
        public void Finish()
        {
            while (Cells % Vector256<float>.Count != 0) AddCell(ox, oy, oz, 0);
        }

        /// <summary>Σ m q² (p − s) and Σ m q over the sources s, q = 1/(1+‖p−s‖²); fixed summation order.</summary>
        public (double Fx, double Fy, double Fz, double Z) Sum(float pxAbs, float pyAbs, float pzAbs)
        {
            var vx = Vector256.Create(pxAbs - ox); var vy = Vector256.Create(pyAbs - oy); var vz = Vector256.Create(pzAbs - oz);
            var one = Vector256.Create(1f);
            var fx = Vector256<float>.Zero; var fy = Vector256<float>.Zero; var fz = Vector256<float>.Zero; var zs = Vector256<float>.Zero;
            ref float rx = ref MemoryMarshal.GetArrayDataReference(cx), ry = ref MemoryMarshal.GetArrayDataReference(cy);
            ref float rz = ref MemoryMarshal.GetArrayDataReference(cz), rm = ref MemoryMarshal.GetArrayDataReference(cm);
            for (int t = 0; t < Cells; t += Vector256<float>.Count)
            {
                var dx = vx - Vector256.LoadUnsafe(ref rx, (nuint)t);
                var dy = vy - Vector256.LoadUnsafe(ref ry, (nuint)t);
                var dz = vz - Vector256.LoadUnsafe(ref rz, (nuint)t);
                var q = Reciprocal(Vector256.FusedMultiplyAdd(dz, dz, Vector256.FusedMultiplyAdd(dy, dy, Vector256.FusedMultiplyAdd(dx, dx, one))));
                var mq = Vector256.LoadUnsafe(ref rm, (nuint)t) * q;
                zs += mq;
                var mq2 = mq * q;
                fx = Vector256.FusedMultiplyAdd(mq2, dx, fx); fy = Vector256.FusedMultiplyAdd(mq2, dy, fy); fz = Vector256.FusedMultiplyAdd(mq2, dz, fz);
            }
            rx = ref MemoryMarshal.GetArrayDataReference(px); ry = ref MemoryMarshal.GetArrayDataReference(py); rz = ref MemoryMarshal.GetArrayDataReference(pz);
            int whole = Points & ~(Vector256<float>.Count - 1);
            for (int t = 0; t < whole; t += Vector256<float>.Count)
            {
                var dx = vx - Vector256.LoadUnsafe(ref rx, (nuint)t);
                var dy = vy - Vector256.LoadUnsafe(ref ry, (nuint)t);
                var dz = vz - Vector256.LoadUnsafe(ref rz, (nuint)t);
                var q = Reciprocal(Vector256.FusedMultiplyAdd(dz, dz, Vector256.FusedMultiplyAdd(dy, dy, Vector256.FusedMultiplyAdd(dx, dx, one))));
                zs += q;
                var q2 = q * q;
                fx = Vector256.FusedMultiplyAdd(q2, dx, fx); fy = Vector256.FusedMultiplyAdd(q2, dy, fy); fz = Vector256.FusedMultiplyAdd(q2, dz, fz);
            }
            if (whole < Points)
            {
                // The last partial vector: lanes past Points hold stale (finite) coordinates; their q is zeroed.
                var keep = Vector256.LessThan(Vector256.Create(whole) + Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7), Vector256.Create(Points)).AsSingle();
                var dx = vx - Vector256.LoadUnsafe(ref rx, (nuint)whole);
                var dy = vy - Vector256.LoadUnsafe(ref ry, (nuint)whole);
                var dz = vz - Vector256.LoadUnsafe(ref rz, (nuint)whole);
                var q = Reciprocal(Vector256.FusedMultiplyAdd(dz, dz, Vector256.FusedMultiplyAdd(dy, dy, Vector256.FusedMultiplyAdd(dx, dx, one)))) & keep;
                zs += q;
                var q2 = q * q;
                fx = Vector256.FusedMultiplyAdd(q2, dx, fx); fy = Vector256.FusedMultiplyAdd(q2, dy, fy); fz = Vector256.FusedMultiplyAdd(q2, dz, fz);
            }
            // The four horizontal sums together: [Σfx Σfy Σfz Σq] from three horizontal adds and one add of the halves.
            var h = Avx.IsSupported ? Avx.HorizontalAdd(Avx.HorizontalAdd(fx, fy), Avx.HorizontalAdd(fz, zs)) : default;
            if (!Avx.IsSupported) return (Vector256.Sum(fx), Vector256.Sum(fy), Vector256.Sum(fz), Vector256.Sum(zs));
            var s = h.GetLower() + h.GetUpper();
            return (s.GetElement(0), s.GetElement(1), s.GetElement(2), s.GetElement(3));
        }

        /// <summary>1/a (a ≥ 1): the 12-bit estimate and one Newton step r (2 − a r) with 2 − a r fused (one rounding
        /// fewer and one operation fewer than <see cref="FastReciprocal"/>); a division where AVX/FMA are missing.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<float> Reciprocal(Vector256<float> a)
        {
            if (!Fma.IsSupported) return Vector256.Create(1f) / a;
            var r = Avx.Reciprocal(a);
            return r * Fma.MultiplyAddNegated(a, r, Vector256.Create(2f));
        }
    }

    private void Build(double[] y, int n)
    {
        if (order.Length != n)
        {
            order = new int[n]; scratch = new int[n]; octant = new byte[n];
            xs = new float[n]; ys = new float[n]; zs = new float[n];
            tx = new float[n + Vector256<float>.Count]; ty = new float[n + Vector256<float>.Count]; tz = new float[n + Vector256<float>.Count]; // 8 slack: see AddPoints
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
        MakeBlocks();
        for (int t = 0; t < n; t++) { int i = order[t]; tx[t] = xs[i]; ty[t] = ys[i]; tz[t] = zs[i]; }
    }

    /// <summary>Copies the children of every internal node into one block of 8 lanes (preorder, so the root's is 0).</summary>
    private void MakeBlocks()
    {
        if (blockOf.Length < nodeCount) blockOf = new int[nodes.Length];
        int blocks = 0;
        for (int k = 0; k < nodeCount; k++) if (nodes[k].Leaf == 0) blockOf[k] = blocks++;
        if (blockLeaves.Length < blocks)
        {
            int size = Math.Max(blocks, 2 * blockLeaves.Length);
            blockX = new float[8 * size]; blockY = new float[8 * size]; blockZ = new float[8 * size];
            blockSide2 = new float[8 * size]; blockMass = new float[8 * size];
            blockStart = new int[8 * size]; blockCount = new int[8 * size]; blockChild = new int[8 * size];
            blockLeaves = new byte[size]; blockInner = new byte[size];
        }
        for (int k = 0; k < nodeCount; k++)
        {
            if (nodes[k].Leaf != 0) continue;
            int b = blockOf[k], lane = 0, leafMask = 0, innerMask = 0;
            for (int c = k + 1; c < nodes[k].Skip; c = nodes[c].Skip, lane++)
            {
                ref readonly var child = ref nodes[c];
                int at = 8 * b + lane;
                blockX[at] = child.X; blockY[at] = child.Y; blockZ[at] = child.Z;
                blockSide2[at] = child.Side2; blockMass[at] = child.Count;
                blockStart[at] = child.Start; blockCount[at] = child.Count;
                if (child.Leaf != 0) leafMask |= 1 << lane;
                else { innerMask |= 1 << lane; blockChild[at] = blockOf[c]; }
            }
            for (; lane < 8; lane++)
            {
                int at = 8 * b + lane;
                blockX[at] = 0; blockY[at] = 0; blockZ[at] = 0; blockSide2[at] = float.PositiveInfinity; blockMass[at] = 0;
            }
            blockLeaves[b] = (byte)leafMask; blockInner[b] = (byte)innerMask;
        }
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
            // x ≥ cx ⇔ the sign bit of x − cx is clear (x ≠ cx never rounds to −0): branch-free, where the
            // comparisons compiled to three unpredictable branches per point and level.
            int o = (int)((~BitConverter.SingleToUInt32Bits(xs[j] - cx) >> 31)
                        | ((~BitConverter.SingleToUInt32Bits(ys[j] - cy) >> 31) << 1)
                        | ((~BitConverter.SingleToUInt32Bits(zs[j] - cz) >> 31) << 2));
            octant[t] = (byte)o;
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
