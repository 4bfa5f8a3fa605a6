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
internal sealed partial class FftRepulsion2D
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

        // Per point: box cell and the 3 Lagrange weights along each axis (independent per point: parallel).
        if (cells.Length != 2 * n) { cells = new int[2 * n]; weightsBuffer = new double[2 * n * NodesPerBox]; zParts = new double[n]; byBoxRow = new int[n]; }
        var cell = cells;             // [n, 2] index of the first node of the point's box
        var weights = weightsBuffer;  // [n, 2, 3]
        Parallel.For(0, (n + 2047) / 2048, parallel, chunk =>
        {
            for (int i = chunk * 2048, end = Math.Min(n, i + 2048); i < end; i++)
                for (int a = 0; a < 2; a++)
                {
                    double u = (y[2 * i + a] - (a == 0 ? x0 : y0)) / boxWidth;
                    int b = Math.Clamp((int)Math.Floor(u), 0, boxes - 1);
                    cell[2 * i + a] = b * NodesPerBox;
                    LagrangeWeights(u - b, weights.AsSpan((2 * i + a) * NodesPerBox, NodesPerBox));
                }
        });

        // Spread the four charges. A point writes only to the node rows of its own box row, so box rows are
        // spread in parallel; within one, points go in index order (counting sort), so every node sums in a
        // fixed order whatever the thread count.
        if (rowStart.Length < boxes + 1) rowStart = new int[boxes + 1];
        Array.Clear(rowStart, 0, boxes + 1);
        for (int i = 0; i < n; i++) rowStart[cell[2 * i + 1] / NodesPerBox + 1]++;
        for (int r = 0; r < boxes; r++) rowStart[r + 1] += rowStart[r];
        for (int i = 0; i < n; i++) byBoxRow[rowStart[cell[2 * i + 1] / NodesPerBox]++] = i;
        for (int r = boxes; r > 0; r--) rowStart[r] = rowStart[r - 1]; // shift back: rowStart[r] = first of row r
        rowStart[0] = 0;
        Array.Clear(gridARe); Array.Clear(gridAIm); Array.Clear(gridBRe); Array.Clear(gridBIm);
        int[] order = byBoxRow, rows = rowStart;
        Parallel.For(0, boxes, parallel, boxRow =>
        {
            for (int k = rows[boxRow]; k < rows[boxRow + 1]; k++)
            {
                int i = order[k];
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
        });

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

    private int[] cells = [], byBoxRow = [], rowStart = []; // [n, 2], [n] points by box row, [boxes + 1]
    private double[] weightsBuffer = [], zParts = [];
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
