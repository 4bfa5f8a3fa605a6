namespace HeadAtlas.Projection;

/// <summary>
/// Repulsive t-SNE forces in 3D by a Barnes-Hut octree (van der Maaten 2014): a cell far enough away
/// (side / distance &lt; θ) acts as one point at its centre of mass. Leaves hold up to <see cref="LeafSize"/> points,
/// which are summed exactly. Built sequentially; forces computed per point in parallel (deterministic).
/// </summary>
internal sealed class BarnesHutRepulsion
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

    public BarnesHutRepulsion(ParallelOptions parallel) => this.parallel = parallel;

    /// <summary>y: [n, 3]. Writes rep[n, 3] = Σⱼ q²ᵢⱼ(yᵢ − yⱼ) (not divided by Z) and returns Z = Σ_{i≠j} qᵢⱼ.</summary>
    public double Compute(double[] y, int n, double[] rep)
    {
        Build(y, n);
        // Plain arrays for the traversal (List indexers cost a bounds and version check each).
        double[] com = this.com.ToArray(), half = this.half.ToArray();
        int[] count = this.count.ToArray(), firstChild = this.firstChild.ToArray(), leafStart = this.leafStart.ToArray(), order = this.order;
        var zPart = new double[n];
        double theta2 = Theta * Theta;
        Parallel.For(0, (n + 255) / 256, parallel, chunk =>
        {
            var stack = new int[8 * MaxDepth + 16]; // depth-first: at most 7 pending siblings per level
            int end = Math.Min(n, (chunk + 1) * 256);
            for (int i = chunk * 256; i < end; i++)
            {
                double yx = y[3 * i], yy = y[3 * i + 1], yz = y[3 * i + 2];
                double fx = 0, fy = 0, fz = 0, zSum = 0;
                int top = 0;
                stack[top++] = 0;
                while (top > 0)
                {
                    int node = stack[--top];
                    int cnt = count[node];
                    if (cnt == 0) continue;
                    if (firstChild[node] < 0)
                    {
                        for (int t = leafStart[node]; t < leafStart[node] + cnt; t++)
                        {
                            int j = order[t];
                            if (j == i) continue;
                            double dx = yx - y[3 * j], dy = yy - y[3 * j + 1], dz = yz - y[3 * j + 2];
                            double q = 1 / (1 + dx * dx + dy * dy + dz * dz);
                            zSum += q;
                            double q2 = q * q;
                            fx += q2 * dx; fy += q2 * dy; fz += q2 * dz;
                        }
                        continue;
                    }
                    double cx = yx - com[3 * node], cy = yy - com[3 * node + 1], cz = yz - com[3 * node + 2];
                    double r2 = cx * cx + cy * cy + cz * cz;
                    double side = 2 * half[node];
                    if (side * side < theta2 * r2)
                    {
                        double q = 1 / (1 + r2);
                        zSum += cnt * q;
                        double q2 = cnt * q * q;
                        fx += q2 * cx; fy += q2 * cy; fz += q2 * cz;
                    }
                    else
                        for (int c = 7; c >= 0; c--) stack[top++] = firstChild[node] + c;
                }
                rep[3 * i] = fx; rep[3 * i + 1] = fy; rep[3 * i + 2] = fz;
                zPart[i] = zSum;
            }
        });
        double z = 0;
        for (int i = 0; i < n; i++) z += zPart[i];
        return z;
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
