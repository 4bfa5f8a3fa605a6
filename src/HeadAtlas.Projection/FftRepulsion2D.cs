using System.Runtime.Intrinsics;

namespace HeadAtlas.Projection;

/// <summary>
/// Repulsive t-SNE forces in 2D by FFT-accelerated interpolation (after Linderman et al. 2019, "Fast
/// interpolation-based t-SNE"). The embedding's bounding square is cut into boxes with <see cref="NodesPerBox"/>
/// equispaced interpolation nodes per box and axis, which together form one uniform grid of nodes. Each point's
/// charges are spread onto the 3×3 nodes of its box with Lagrange weights; the grid is convolved with the kernel
/// K(r) = 1/(1+r²)² by FFT (zero-padded to L = 2·nodes, so the circular convolution is the linear one); the
/// potentials are read back at each point with the same weights.
/// Three charges 1, x, y under K₂ = 1/(1+r²)² give the forces Σⱼ q²ᵢⱼ(yᵢ − yⱼ) = yᵢφ₁ − (φ₂, φ₃); a fourth,
/// 1 under K₁ = 1/(1+r²), gives Z = Σᵢⱼ qᵢⱼ directly (openTSNE's split: deriving Z from K₂ alone needs a
/// cancellation that float grids cannot afford on sparse, wide embeddings). The four real grids travel as two
/// complex ones; the pair with different kernels is separated in frequency space by Hermitian symmetry.
/// Coordinates are taken relative to the grid's centre to keep the cancellation in the forces small.
/// </summary>
internal sealed class FftRepulsion2D
{
    public const int NodesPerBox = 3;
    /// <summary>Largest box side in embedding units (openTSNE/FIt-SNE use 1).</summary>
    public double MaxBoxWidth { get; init; } = 1.0;
    public int MinFftSize { get; init; } = 128;
    /// <summary>
    /// Near pairs per point (for uniform density) the split mode aims at; 0 turns the split off. Past the FFT size
    /// this gives (L ≥ 7.2·ρ·√(π·n / target), ρ = <see cref="NearRadiusPerBox"/>), the grid stops growing with the
    /// embedding: its boxes widen to w and each kernel K is split as K = K_far + K_near, where K_far equals K beyond
    /// r_c = ρ·w / MaxBoxWidth and is a smooth
    /// cap (second-order Taylor polynomial in r² at r_c) inside, so the coarse grid interpolates it as well as the
    /// fine grid interpolates K; K_near = K − K_far vanishes beyond r_c and is summed exactly over the pairs closer
    /// than r_c (cell lists). The grid then costs O(n) instead of O(extent²).
    /// </summary>
    public double NearPairsTarget { get; init; } = 60;
    /// <summary>r_c in box widths (at MaxBoxWidth 1) when split: larger is more accurate and has more near pairs.</summary>
    public double NearRadiusPerBox { get; init; } = 1.5;

    private readonly ParallelOptions parallel;
    private Fft2D? fft;
    private float[] gridARe = [], gridAIm = [], gridBRe = [], gridBIm = [], kernelHat = [];
    private double gridX0, gridY0, gridExtent;
    private int gridBoxes;
    private double nearRadius; // r_c of the split; 0 = no split (plain kernels on the grid)
    /// <summary>Diagnostics: grid placements and time (Stopwatch ticks) per phase.</summary>
    public int Placements;
    public long KernelTicks, SpreadTicks, FftTicks, GatherTicks, NearTicks;
    public string Timings => $"placements {Placements}, kernel {KernelTicks / 1e9:F2}s, spread {SpreadTicks / 1e9:F2}s, fft {FftTicks / 1e9:F2}s, gather {GatherTicks / 1e9:F2}s (near field {NearTicks / 1e9:F2}s)";
    /// <summary>Split radius r_c of the current grid; 0 when the kernels are not split.</summary>
    public double NearRadius => nearRadius;
    /// <summary>FFT size used by the last call (for diagnostics).</summary>
    public int LastSize => fft?.L ?? 0;

    public FftRepulsion2D(ParallelOptions parallel) => this.parallel = parallel;

    /// <summary>
    /// y: [n, 2] positions. Writes rep[n, 2] = Σⱼ q²ᵢⱼ(yᵢ − yⱼ) (not yet divided by Z) and returns Z = Σ_{i≠j} qᵢⱼ.
    /// </summary>
    public double Compute(double[] y, int n, double[] rep)
    {
        double minX = double.MaxValue, maxX = double.MinValue, minY = double.MaxValue, maxY = double.MinValue;
        for (int i = 0; i < n; i++)
        {
            minX = Math.Min(minX, y[2 * i]); maxX = Math.Max(maxX, y[2 * i]);
            minY = Math.Min(minY, y[2 * i + 1]); maxY = Math.Max(maxY, y[2 * i + 1]);
        }
        double extent = Math.Max(Math.Max(maxX - minX, maxY - minY), 1e-12);
        long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        if (!GridCovers(minX, maxX, minY, maxY, extent)) { PlaceGrid(minX, maxX, minY, maxY, extent, n); Placements++; }
        long t1 = System.Diagnostics.Stopwatch.GetTimestamp();
        KernelTicks += t1 - t0;
        int l = fft!.Stride, boxes = gridBoxes, m = boxes * NodesPerBox; // l: row stride of the grids
        double boxWidth = gridExtent / boxes;
        double x0 = gridX0, y0 = gridY0;
        // Coordinates relative to the grid centre keep the cancellations in the sums below small.
        double cx = x0 + 0.5 * gridExtent, cy = y0 + 0.5 * gridExtent;

        // Per point: box cell and the 3 Lagrange weights along each axis. Computed in the (sequential) spreading
        // loop below: it is cheap, and a parallel loop of its own would add a synchronization point per iteration,
        // which costs more than the work on a busy machine.
        if (cells.Length != 2 * n) { cells = new int[2 * n]; weightsBuffer = new double[2 * n * NodesPerBox]; zParts = new double[n]; }
        var cell = cells;             // [n, 2] index of the first node of the point's box
        var weights = weightsBuffer;  // [n, 2, 3]

        // Spread the four charges (sequential: scattered adds in a fixed order keep it deterministic).
        Array.Clear(gridARe); Array.Clear(gridAIm); Array.Clear(gridBRe); Array.Clear(gridBIm);
        for (int i = 0; i < n; i++)
        {
            for (int a = 0; a < 2; a++)
            {
                double u = (y[2 * i + a] - (a == 0 ? x0 : y0)) / boxWidth;
                int b = Math.Clamp((int)Math.Floor(u), 0, boxes - 1);
                cell[2 * i + a] = b * NodesPerBox;
                LagrangeWeights(u - b, weights.AsSpan((2 * i + a) * NodesPerBox, NodesPerBox));
            }
            double px = y[2 * i] - cx, py = y[2 * i + 1] - cy;
            int gx = cell[2 * i], gy = cell[2 * i + 1];
            for (int s = 0; s < NodesPerBox; s++)
            {
                double wy = weights[(2 * i + 1) * NodesPerBox + s];
                int row = (gy + s) * l + gx;
                for (int t = 0; t < NodesPerBox; t++)
                {
                    double w = wy * weights[2 * i * NodesPerBox + t];
                    gridARe[row + t] += (float)w;
                    gridAIm[row + t] += (float)(w * px);
                    gridBRe[row + t] += (float)(w * py);
                    gridBIm[row + t] += (float)w;
                }
            }
        }

        long t2 = System.Diagnostics.Stopwatch.GetTimestamp();
        Convolve(ref gridARe, ref gridAIm, m, mixed: false);
        Convolve(ref gridBRe, ref gridBIm, m, mixed: true);
        long t3 = System.Diagnostics.Stopwatch.GetTimestamp();
        SpreadTicks += t2 - t1; FftTicks += t3 - t2;

        // Gather potentials and form forces and each point's share of Z.
        var zPart = zParts; // [n]
        double selfZ = FarKernel(0, nearRadius * nearRadius, squared: false);
        Parallel.For(0, (n + 1023) / 1024, parallel, chunk =>
        {
            int end = Math.Min(n, (chunk + 1) * 1024);
            for (int i = chunk * 1024; i < end; i++)
            {
                double p1 = 0, p2 = 0, p3 = 0, p4 = 0;
                int gx = cell[2 * i], gy = cell[2 * i + 1];
                for (int s = 0; s < NodesPerBox; s++)
                {
                    double wy = weights[(2 * i + 1) * NodesPerBox + s];
                    int row = (gy + s) * l + gx;
                    for (int t = 0; t < NodesPerBox; t++)
                    {
                        double w = wy * weights[2 * i * NodesPerBox + t];
                        p1 += w * gridARe[row + t];
                        p2 += w * gridAIm[row + t];
                        p3 += w * gridBRe[row + t];
                        p4 += w * gridBIm[row + t];
                    }
                }
                double px = y[2 * i] - cx, py = y[2 * i + 1] - cy;
                rep[2 * i] = px * p1 - p2;
                rep[2 * i + 1] = py * p1 - p3;
                zPart[i] = p4 - selfZ; // the point's own term (q = 1 unsplit)
            }
        });
        long tNear = System.Diagnostics.Stopwatch.GetTimestamp();
        if (nearRadius > 0) NearField(y, n, rep, zPart);
        NearTicks += System.Diagnostics.Stopwatch.GetTimestamp() - tNear;
        double z = 0;
        for (int i = 0; i < n; i++) z += zPart[i];
        GatherTicks += System.Diagnostics.Stopwatch.GetTimestamp() - t3;
        return z;
    }

    private int[] cells = [];
    private double[] weightsBuffer = [], zParts = [];
    private int[] cellStart = [], cellOrder = [], cellOfPoint = []; // [cells + 1], [n], [n]
    private float[] cellX = [], cellY = []; // [n] positions relative to the grid origin, in cell order

    /// <summary>Adds the near parts K − K_far of all pairs closer than r_c: rep[i] += Σⱼ (K₂ − K₂far)(yᵢ − yⱼ),
    /// zPart[i] += Σⱼ (K₁ − K₁far). Points are bucketed into square cells of side r_c (counting sort, stable by
    /// index), so each point's partners lie in its own and the 8 surrounding cells, and the partners in three
    /// neighbouring cells of one row are contiguous: eight at a time in float SIMD. Every point's sums run in a
    /// fixed order on one thread (deterministic).</summary>
    private void NearField(double[] y, int n, double[] rep, double[] zPart)
    {
        double rc = nearRadius;
        double x0 = gridX0, y0 = gridY0;
        int cells1 = (int)Math.Ceiling(gridExtent / rc) + 1, cellCount = cells1 * cells1;
        if (cellStart.Length < cellCount + 1) cellStart = new int[cellCount + 1];
        if (cellOrder.Length < n) { cellOrder = new int[n]; cellOfPoint = new int[n]; cellX = new float[n + 8]; cellY = new float[n + 8]; }
        var start = cellStart;
        Array.Clear(start, 0, cellCount + 1);
        for (int i = 0; i < n; i++)
        {
            int cx = Math.Clamp((int)((y[2 * i] - x0) / rc), 0, cells1 - 1);
            int cy = Math.Clamp((int)((y[2 * i + 1] - y0) / rc), 0, cells1 - 1);
            int c = cy * cells1 + cx;
            cellOfPoint[i] = c;
            start[c + 1]++;
        }
        for (int c = 0; c < cellCount; c++) start[c + 1] += start[c];
        for (int i = 0; i < n; i++)
        {
            int at = start[cellOfPoint[i]]++; // start[c] ends as the old start[c + 1]; shifted back below
            cellOrder[at] = i; cellX[at] = (float)(y[2 * i] - x0); cellY[at] = (float)(y[2 * i + 1] - y0);
        }
        for (int c = cellCount; c > 0; c--) start[c] = start[c - 1];
        start[0] = 0;
        float sc = (float)(rc * rc), c1 = (float)(1 / (1 + rc * rc));
        // The loops below also meet each point itself (s = 0): its force term is 0, its z term 1 − K₁far(0) is removed.
        double selfNear = 1 - FarKernel(0, rc * rc, squared: false);
        int[] order = cellOrder, cellOf = cellOfPoint; float[] px = cellX, py = cellY;
        Parallel.For(0, (n + 511) / 512, parallel, chunk =>
        {
            int end = Math.Min(n, (chunk + 1) * 512);
            for (int a = chunk * 512; a < end; a++)
            {
                int i = order[a];
                int c = cellOf[i], cx = c % cells1, cy = c / cells1;
                var (fx, fy, z) = NearSums(px, py, start, cells1, cx, cy, px[a], py[a], sc, c1);
                rep[2 * i] += fx; rep[2 * i + 1] += fy; zPart[i] += z - selfNear;
            }
        });
    }

    private static (double Fx, double Fy, double Z) NearSums(float[] px, float[] py, int[] start, int cells1, int cx, int cy,
        float xi, float yi, float sc, float c1)
    {
        var vx = Vector256.Create(xi); var vy = Vector256.Create(yi); var vsc = Vector256.Create(sc);
        var vc1 = Vector256.Create(c1); var one = Vector256.Create(1f); var two = Vector256.Create(2f); var three = Vector256.Create(3f);
        var sfx = Vector256<float>.Zero; var sfy = sfx; var sz = sfx;
        float fx = 0, fy = 0, z = 0;
        for (int ny = Math.Max(cy - 1, 0); ny <= Math.Min(cy + 1, cells1 - 1); ny++)
        {
            int b = start[ny * cells1 + Math.Max(cx - 1, 0)], to = start[ny * cells1 + Math.Min(cx + 1, cells1 - 1) + 1];
            for (; b + 8 <= to; b += 8)
            {
                var dx = vx - Vector256.LoadUnsafe(ref px[b]);
                var dy = vy - Vector256.LoadUnsafe(ref py[b]);
                var s = dx * dx + dy * dy;
                var inside = Vector256.LessThan(s, vsc);
                var k1 = one / (one + s);
                var cds = vc1 * (s - vsc);
                // K₁far = c(1 − c·ds + (c·ds)²), K₂far = c²(1 − 2c·ds + 3(c·ds)²)
                var far1 = vc1 * (one - cds + cds * cds);
                var far2 = vc1 * vc1 * (one - two * cds + three * cds * cds);
                var near2 = Vector256.BitwiseAnd(k1 * k1 - far2, inside.AsSingle());
                var near1 = Vector256.BitwiseAnd(k1 - far1, inside.AsSingle());
                sfx += near2 * dx; sfy += near2 * dy; sz += near1;
            }
            for (; b < to; b++)
            {
                float dx = xi - px[b], dy = yi - py[b], s = dx * dx + dy * dy;
                if (s >= sc) continue;
                float k1 = 1 / (1 + s), cds = c1 * (s - sc);
                float near2 = k1 * k1 - c1 * c1 * (1 - 2 * cds + 3 * cds * cds);
                fx += near2 * dx; fy += near2 * dy; z += k1 - c1 * (1 - cds + cds * cds);
            }
        }
        return ((double)Vector256.Sum(sfx) + fx, (double)Vector256.Sum(sfy) + fy, (double)Vector256.Sum(sz) + z);
    }

    /// <summary>The current grid can be kept while it holds every point and is not much larger than the embedding
    /// (re-placing it costs an extra FFT for the kernel, so it is kept across iterations when possible).</summary>
    private bool GridCovers(double minX, double maxX, double minY, double maxY, double extent)
    {
        if (fft is null) return false;
        double x1 = gridX0 + gridExtent, y1 = gridY0 + gridExtent;
        if (minX < gridX0 || minY < gridY0 || maxX >= x1 || maxY >= y1) return false;
        return extent > gridExtent / 1.5;
    }

    /// <summary>Places a square grid over the points with a margin, on the smallest supported FFT size (2^k or 3·2^k) whose boxes are at
    /// most MaxBoxWidth wide, or — when that is larger than the split size for n points — on the split size with
    /// wider boxes and the near/far split of the kernels; then computes the kernels' spectra for it.</summary>
    private void PlaceGrid(double minX, double maxX, double minY, double maxY, double extent, int n)
    {
        int lSplit = NearPairsTarget > 0 ? Fft2D.NextSize((int)Math.Ceiling(7.2 * NearRadiusPerBox * Math.Sqrt(Math.PI * n / NearPairsTarget))) : int.MaxValue;
        int l = Fft2D.NextSize(MinFftSize);
        while ((l / (2 * NodesPerBox)) * MaxBoxWidth < extent * 1.0001 && l < lSplit) l = Fft2D.NextSize(l + 1);
        int boxes = l / (2 * NodesPerBox);
        double gridSide;
        if (boxes * MaxBoxWidth >= extent * 1.0001)
        {
            // Margin for the embedding to grow into, but never boxes wider than the limit.
            gridSide = Math.Min(extent * 1.2, boxes * MaxBoxWidth);
            gridSide = Math.Max(gridSide, extent * 1.0001);
            nearRadius = 0;
        }
        else
        {
            gridSide = extent * 1.2;
            nearRadius = NearRadiusPerBox * gridSide / boxes / MaxBoxWidth;
        }
        gridX0 = 0.5 * (minX + maxX) - 0.5 * gridSide;
        gridY0 = 0.5 * (minY + maxY) - 0.5 * gridSide;
        gridExtent = gridSide;
        gridBoxes = boxes;
        if (fft is null || fft.L != l)
        {
            fft = new Fft2D(l);
            int size = fft.Size;
            gridARe = new float[size]; gridAIm = new float[size];
            gridBRe = new float[size]; gridBIm = new float[size];
            kernelHat = new float[size];
            kernelRe = new float[size]; kernelIm = new float[size];
            kernelPlus = new float[size]; kernelMinus = new float[size];
            mixRe = new float[size]; mixIm = new float[size];
        }
        MakeKernel(l, boxes * NodesPerBox, gridSide / boxes / NodesPerBox);
    }

    /// <summary>The far part of K₁ = 1/(1+s) (<paramref name="squared"/>: K₂ = 1/(1+s)²) at s = r², split at
    /// s_c = r_c²: K itself beyond s_c, its second-order Taylor polynomial about s_c inside (C² at s_c, smooth at 0).</summary>
    internal static double FarKernel(double s, double sc, bool squared)
    {
        if (s >= sc) { double k1 = 1 / (1 + s); return squared ? k1 * k1 : k1; }
        double c = 1 / (1 + sc), ds = s - sc;
        // K₁: c − c²·ds + c³·ds²; K₂: c² − 2c³·ds + 3c⁴·ds².
        return squared ? c * c * (1 - 2 * c * ds + 3 * c * c * ds * ds) : c * (1 - c * ds + c * c * ds * ds);
    }

    private float[] kernelRe = [], kernelIm = [];

    /// <summary>Weights of the Lagrange polynomials through nodes at (t + ½)/3, t = 0..2, evaluated at u ∈ [0, 1].</summary>
    private static void LagrangeWeights(double u, Span<double> w)
    {
        const double a = 1.0 / 6, b = 0.5, c = 5.0 / 6, h = 1.0 / 3;
        w[0] = (u - b) * (u - c) / (2 * h * h);
        w[1] = -(u - a) * (u - c) / (h * h);
        w[2] = (u - a) * (u - b) / (2 * h * h);
    }

    /// <summary>Spectra of K₂ and K₁ on node offsets, embedded circulantly in L×L, divided by L² (the inverse FFT's
    /// factor); also their half sum and half difference for the mixed product.</summary>
    private void MakeKernel(int l, int m, double spacing)
    {
        var k2 = KernelSpectrum(l, m, spacing, squared: true);
        var k1 = KernelSpectrum(l, m, spacing, squared: false);
        for (int t = 0; t < k2.Length; t++)
        {
            kernelHat[t] = k2[t];
            kernelPlus[t] = 0.5f * (k2[t] + k1[t]);
            kernelMinus[t] = 0.5f * (k2[t] - k1[t]);
        }
    }

    private float[] KernelSpectrum(int l, int m, double spacing, bool squared)
    {
        var re = kernelRe;
        var im = kernelIm;
        Array.Clear(re); Array.Clear(im);
        for (int r = 0; r < l; r++)
        {
            int dr = r < m ? r : r > l - m ? r - l : int.MaxValue;
            if (dr == int.MaxValue) continue;
            for (int c = 0; c < l; c++)
            {
                int dc = c < m ? c : c > l - m ? c - l : int.MaxValue;
                if (dc == int.MaxValue) continue;
                double r2 = ((double)dr * dr + (double)dc * dc) * spacing * spacing;
                re[r * fft!.Stride + c] = (float)FarKernel(r2, nearRadius * nearRadius, squared);
            }
        }
        fft!.ForwardTransposed(ref re, ref im, l, parallel);
        kernelRe = re; kernelIm = im;
        var spectrum = new float[fft.Size];
        float scale = 1f / ((float)l * l);
        for (int i = 0; i < re.Length; i++) spectrum[i] = re[i] * scale; // imaginary part is zero: the kernel is even
        return spectrum;
    }

    private float[] kernelPlus = [], kernelMinus = [], mixRe = [], mixIm = [];

    /// <summary>Convolves two real grids at once (packed as real and imaginary parts): both with K₂, or with
    /// <paramref name="mixed"/> the real part with K₂ and the imaginary part with K₁.</summary>
    private void Convolve(ref float[] re, ref float[] im, int m, bool mixed)
    {
        fft!.ForwardTransposed(ref re, ref im, m, parallel);
        int l = fft.L, ld = fft.Stride;
        float[] reArr = re, imArr = im; // ref parameters cannot be captured
        if (!mixed)
        {
            var k = kernelHat;
            Parallel.For(0, l, parallel, row =>
            {
                var kr = k.AsSpan(row * ld, l);
                var rr = reArr.AsSpan(row * ld, l);
                var ii = imArr.AsSpan(row * ld, l);
                System.Numerics.Tensors.TensorPrimitives.Multiply(rr, kr, rr);
                System.Numerics.Tensors.TensorPrimitives.Multiply(ii, kr, ii);
            });
        }
        else
        {
            // S = FFT(a + ib). FFT(a) = (S[f] + conj S[−f])/2, FFT(b) = (S[f] − conj S[−f])/2i, so
            // FFT(a)·K₂ + i·FFT(b)·K₁ = S[f]·(K₂+K₁)/2 + conj S[−f]·(K₂−K₁)/2.
            float[] outRe = mixRe, outIm = mixIm, plus = kernelPlus, minus = kernelMinus;
            Parallel.For(0, l, parallel, row =>
            {
                int partnerRow = (l - row) % l;
                for (int c = 0; c < l; c++)
                {
                    int f = row * ld + c, g = partnerRow * ld + (l - c) % l;
                    outRe[f] = reArr[f] * plus[f] + reArr[g] * minus[f];
                    outIm[f] = imArr[f] * plus[f] - imArr[g] * minus[f];
                }
            });
            (re, mixRe) = (mixRe, re);
            (im, mixIm) = (mixIm, im);
        }
        fft.InverseFromTransposed(ref re, ref im, m, parallel);
    }
}
