using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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
    /// than r_c (<see cref="NearField2D"/>). The grid then costs O(n) instead of O(extent²).
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
    public string Timings => $"placements {Placements}, kernel {KernelTicks / 1e9:F2}s, spread {SpreadTicks / 1e9:F2}s, fft {FftTicks / 1e9:F2}s, gather {GatherTicks / 1e9:F2}s, near field {NearTicks / 1e9:F2}s";
    /// <summary>Split radius r_c of the current grid; 0 when the kernels are not split.</summary>
    public double NearRadius => nearRadius;
    /// <summary>FFT size used by the last call (for diagnostics).</summary>
    public int LastSize => fft?.L ?? 0;

    public FftRepulsion2D(ParallelOptions parallel) { this.parallel = parallel; work = parallel; }

    /// <summary>
    /// y: [n, 2] positions. Writes rep[n, 2] = Σⱼ q²ᵢⱼ(yᵢ − yⱼ) (not yet divided by Z) and returns Z = Σ_{i≠j} qᵢⱼ.
    /// <paramref name="alongside"/>: independent work (the caller's attraction) to run at the same time.
    /// With two or more threads the far field (spreading, FFT, gathering), the near field and the work alongside run
    /// as separate tasks, each on its share of the threads: two synchronization points per call instead of one per
    /// parallel loop inside them (about twenty), which on a busy 2-core machine cost more than the loops save. Every
    /// piece is deterministic on any thread count, so the result is the same either way.
    /// </summary>
    public double Compute(double[] y, int n, double[] rep, IReadOnlyList<Action>? alongside = null)
    {
        var (minX, maxX, minY, maxY) = Bounds(y, n);
        double extent = Math.Max(Math.Max(maxX - minX, maxY - minY), 1e-12);
        long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        if (!GridCovers(minX, maxX, minY, maxY, extent)) { PlaceGrid(minX, maxX, minY, maxY, extent, n); Placements++; }
        KernelTicks += System.Diagnostics.Stopwatch.GetTimestamp() - t0;
        if (nodeOfPoint.Length != n) { nodeOfPoint = new int[n]; weightsX = new Vector128<float>[n]; weightsY = new Vector128<float>[n]; zParts = new double[n]; }
        var zPart = zParts; // [n]
        var tasks = new List<Action> { () => FarField(y, n, rep, zPart) };
        if (nearRadius > 0)
            tasks.Add(() =>
            {
                long start = System.Diagnostics.Stopwatch.GetTimestamp();
                nearField.Compute(y, n, gridX0, gridY0, gridExtent, nearRadius, work);
                NearTicks += System.Diagnostics.Stopwatch.GetTimestamp() - start;
            });
        if (alongside is not null) tasks.AddRange(alongside);
        int threads = parallel.MaxDegreeOfParallelism > 0 ? parallel.MaxDegreeOfParallelism : Environment.ProcessorCount;
        if (threads == 1 || tasks.Count == 1)
        {
            work = parallel;
            foreach (var task in tasks) task();
        }
        else
        {
            work = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads / 2) };
            Parallel.Invoke(parallel, [.. tasks]);
        }
        if (nearRadius > 0) nearField.AddTo(rep, zPart);
        double z = 0;
        for (int i = 0; i < n; i++) z += zPart[i];
        return z;
    }

    private ParallelOptions work; // threads for each piece of the current call

    /// <summary>The grid part: spread the charges, convolve, gather rep and zPart.</summary>
    private void FarField(double[] y, int n, double[] rep, double[] zPart)
    {
        long t1 = System.Diagnostics.Stopwatch.GetTimestamp();
        int m = gridBoxes * NodesPerBox;
        // Coordinates relative to the grid centre keep the cancellations in the forces below small.
        double cx = gridX0 + 0.5 * gridExtent, cy = gridY0 + 0.5 * gridExtent;
        // The FFT reads only the m×m block of nodes; the spreading also adds zeros in column m.
        for (int row = 0, l = fft!.Stride; row < m; row++)
        {
            Array.Clear(gridARe, row * l, m + 1); Array.Clear(gridAIm, row * l, m + 1);
            Array.Clear(gridBRe, row * l, m + 1); Array.Clear(gridBIm, row * l, m + 1);
        }
        SpreadCharges(y, n, cx, cy);
        long t2 = System.Diagnostics.Stopwatch.GetTimestamp();
        Convolve(ref gridARe, ref gridAIm, m, mixed: false);
        Convolve(ref gridBRe, ref gridBIm, m, mixed: true);
        long t3 = System.Diagnostics.Stopwatch.GetTimestamp();
        GatherPotentials(y, n, cx, cy, rep, zPart);
        SpreadTicks += t2 - t1; FftTicks += t3 - t2; GatherTicks += System.Diagnostics.Stopwatch.GetTimestamp() - t3;
    }

    private int[] nodeOfPoint = [];                                   // [n] grid index of the first of the point's 3×3 nodes
    private Vector128<float>[] weightsX = [], weightsY = [];           // [n] its Lagrange weights (w₀, w₁, w₂, 0) per axis
    private double[] zParts = [];                                      // [n]
    private readonly NearField2D nearField = new();

    private static (double MinX, double MaxX, double MinY, double MaxY) Bounds(double[] y, int n)
    {
        var low = Vector256.Create(double.MaxValue); var high = Vector256.Create(double.MinValue);
        int t = 0;
        for (; t + 4 <= 2 * n; t += 4) // two points (x, y, x, y) per vector
        {
            var v = Vector256.LoadUnsafe(ref y[t]);
            low = Vector256.Min(low, v); high = Vector256.Max(high, v);
        }
        double minX = Math.Min(low[0], low[2]), minY = Math.Min(low[1], low[3]);
        double maxX = Math.Max(high[0], high[2]), maxY = Math.Max(high[1], high[3]);
        if (t < 2 * n) { minX = Math.Min(minX, y[t]); maxX = Math.Max(maxX, y[t]); minY = Math.Min(minY, y[t + 1]); maxY = Math.Max(maxY, y[t + 1]); }
        return (minX, maxX, minY, maxY);
    }

    /// <summary>Puts each point's charges (1, x, y under K₂ in grids A.re, A.im, B.re; 1 under K₁ in B.im) on the
    /// 3×3 nodes of its box with Lagrange weights, and keeps the nodes and weights for the gathering. Each row of 3
    /// nodes is one 4-float vector (the fourth weight is 0). Sequential: scattered adds in a fixed order keep it
    /// deterministic.</summary>
    private unsafe void SpreadCharges(double[] y, int n, double cx, double cy)
    {
        int l = fft!.Stride, boxes = gridBoxes;
        double invBox = gridBoxes / gridExtent;
        fixed (float* ar = gridARe, ai = gridAIm, br = gridBRe, bi = gridBIm)
            for (int i = 0; i < n; i++)
            {
                double ux = (y[2 * i] - gridX0) * invBox, uy = (y[2 * i + 1] - gridY0) * invBox;
                int bx = Math.Clamp((int)Math.Floor(ux), 0, boxes - 1), by = Math.Clamp((int)Math.Floor(uy), 0, boxes - 1);
                var wx = LagrangeWeights((float)(ux - bx));
                var wy = LagrangeWeights((float)(uy - by));
                int node = by * NodesPerBox * l + bx * NodesPerBox;
                nodeOfPoint[i] = node; weightsX[i] = wx; weightsY[i] = wy;
                float px = (float)(y[2 * i] - cx), py = (float)(y[2 * i + 1] - cy);
                for (int s = 0; s < NodesPerBox; s++)
                {
                    var w = wx * wy.GetElement(s);
                    int at = node + s * l;
                    Vector128.Store(Vector128.Load(ar + at) + w, ar + at);
                    Vector128.Store(Vector128.FusedMultiplyAdd(w, Vector128.Create(px), Vector128.Load(ai + at)), ai + at);
                    Vector128.Store(Vector128.FusedMultiplyAdd(w, Vector128.Create(py), Vector128.Load(br + at)), br + at);
                    Vector128.Store(Vector128.Load(bi + at) + w, bi + at);
                }
            }
    }

    /// <summary>Reads the potentials back at each point with its spreading weights and forms the far-field forces
    /// rep[i] = yᵢφ₁ − (φ₂, φ₃) and the point's share of Z (its own term removed).</summary>
    private unsafe void GatherPotentials(double[] y, int n, double cx, double cy, double[] rep, double[] zPart)
    {
        int l = fft!.Stride;
        double selfZ = FarKernel(0, nearRadius * nearRadius, squared: false); // the point's own term (q = 1 unsplit)
        float[] gar = gridARe, gai = gridAIm, gbr = gridBRe, gbi = gridBIm;
        Parallel.For(0, (n + 1023) / 1024, work, chunk =>
        {
            int end = Math.Min(n, (chunk + 1) * 1024);
            fixed (float* ar = gar, ai = gai, br = gbr, bi = gbi)
                for (int i = chunk * 1024; i < end; i++)
                {
                    var wx = weightsX[i]; var wy = weightsY[i];
                    int node = nodeOfPoint[i];
                    var p1 = Vector128<float>.Zero; var p2 = p1; var p3 = p1; var p4 = p1;
                    for (int s = 0; s < NodesPerBox; s++)
                    {
                        var w = wx * wy.GetElement(s);
                        int at = node + s * l;
                        p1 = Vector128.FusedMultiplyAdd(w, Vector128.Load(ar + at), p1);
                        p2 = Vector128.FusedMultiplyAdd(w, Vector128.Load(ai + at), p2);
                        p3 = Vector128.FusedMultiplyAdd(w, Vector128.Load(br + at), p3);
                        p4 = Vector128.FusedMultiplyAdd(w, Vector128.Load(bi + at), p4);
                    }
                    double phi1 = Vector128.Sum(p1), phi2 = Vector128.Sum(p2), phi3 = Vector128.Sum(p3);
                    double px = y[2 * i] - cx, py = y[2 * i + 1] - cy;
                    rep[2 * i] = px * phi1 - phi2;
                    rep[2 * i + 1] = py * phi1 - phi3;
                    zPart[i] = Vector128.Sum(p4) - selfZ;
                }
        });
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

    /// <summary>Weights (w₀, w₁, w₂, 0) of the Lagrange polynomials through nodes at (t + ½)/3, t = 0..2, at u ∈ [0, 1].</summary>
    private static Vector128<float> LagrangeWeights(float u)
    {
        const float a = 1f / 6, b = 0.5f, c = 5f / 6, h2 = 1f / 9;
        return Vector128.Create((u - b) * (u - c) / (2 * h2), -(u - a) * (u - c) / h2, (u - a) * (u - b) / (2 * h2), 0);
    }

    /// <summary>Spectra of K₂ and K₁ on node offsets, embedded circulantly in L×L, divided by L² (the inverse FFT's
    /// factor); also their half sum and half difference for the mixed product.</summary>
    private void MakeKernel(int l, int m, double spacing)
    {
        // Both kernels depend on dr² + dc² only: evaluate them once per offset pair with |dr| ≤ |dc| < m.
        if (offsetK2.Length < m * m) { offsetK2 = new float[m * m]; offsetK1 = new float[m * m]; }
        double sc = nearRadius * nearRadius;
        for (int a = 0; a < m; a++)
            for (int b = a; b < m; b++)
            {
                double r2 = ((double)a * a + (double)b * b) * spacing * spacing;
                offsetK2[a * m + b] = offsetK2[b * m + a] = (float)FarKernel(r2, sc, squared: true);
                offsetK1[a * m + b] = offsetK1[b * m + a] = (float)FarKernel(r2, sc, squared: false);
            }
        // Embedded circulantly in L×L, K₂ as the real and K₁ as the imaginary part of one grid: both are real and even,
        // so their spectra are real, and one complex transform returns them as its real and imaginary parts.
        var re = kernelRe;
        var im = kernelIm;
        int ld = fft!.Stride;
        Array.Clear(re); Array.Clear(im);
        for (int r = 0; r < l; r++)
        {
            int dr = r < m ? r : r > l - m ? l - r : -1;
            if (dr < 0) continue;
            for (int c = 0; c < l; c++)
            {
                int dc = c < m ? c : c > l - m ? l - c : -1;
                if (dc < 0) continue;
                re[r * ld + c] = offsetK2[dr * m + dc];
                im[r * ld + c] = offsetK1[dr * m + dc];
            }
        }
        fft.ForwardTransposed(ref re, ref im, l, parallel);
        kernelRe = re; kernelIm = im;
        float scale = 1f / ((float)l * l);
        for (int t = 0; t < re.Length; t++)
        {
            float k2 = re[t] * scale, k1 = im[t] * scale;
            kernelHat[t] = k2;
            kernelPlus[t] = 0.5f * (k2 + k1);
            kernelMinus[t] = 0.5f * (k2 - k1);
        }
    }

    private float[] offsetK2 = [], offsetK1 = []; // [m, m] the kernels at node offsets (|dr|, |dc|)

    private float[] kernelPlus = [], kernelMinus = [], mixRe = [], mixIm = [];

    /// <summary>Convolves two real grids at once (packed as real and imaginary parts): both with K₂, or with
    /// <paramref name="mixed"/> the real part with K₂ and the imaginary part with K₁.</summary>
    private void Convolve(ref float[] re, ref float[] im, int m, bool mixed)
    {
        fft!.ForwardTransposed(ref re, ref im, m, work);
        int l = fft.L, ld = fft.Stride;
        float[] reArr = re, imArr = im; // ref parameters cannot be captured
        if (!mixed)
        {
            var k = kernelHat;
            Parallel.For(0, l, work, row =>
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
            Parallel.For(0, l, work, row =>
            {
                int at = row * ld, partner = (l - row) % l * ld; // −f of column c is column (l − c) mod l of the partner row
                outRe[at] = reArr[at] * plus[at] + reArr[partner] * minus[at];
                outIm[at] = imArr[at] * plus[at] - imArr[partner] * minus[at];
                var reverse = Vector256.Create(7, 6, 5, 4, 3, 2, 1, 0);
                int c = 1;
                for (; c + 8 <= l; c += 8) // columns c..c+7 meet partner columns l−c..l−c−7: one load, lanes reversed
                {
                    int f = at + c, g = partner + l - c - 7;
                    var sr = Avx2.PermuteVar8x32(Vector256.LoadUnsafe(ref reArr[g]), reverse);
                    var si = Avx2.PermuteVar8x32(Vector256.LoadUnsafe(ref imArr[g]), reverse);
                    var kp = Vector256.LoadUnsafe(ref plus[f]); var km = Vector256.LoadUnsafe(ref minus[f]);
                    (Vector256.LoadUnsafe(ref reArr[f]) * kp + sr * km).StoreUnsafe(ref outRe[f]);
                    (Vector256.LoadUnsafe(ref imArr[f]) * kp - si * km).StoreUnsafe(ref outIm[f]);
                }
                for (; c < l; c++)
                {
                    int f = at + c, g = partner + l - c;
                    outRe[f] = reArr[f] * plus[f] + reArr[g] * minus[f];
                    outIm[f] = imArr[f] * plus[f] - imArr[g] * minus[f];
                }
            });
            (re, mixRe) = (mixRe, re);
            (im, mixIm) = (mixIm, im);
        }
        // One column more than the m×m block of nodes: the gathering reads each row of 3 nodes as a 4-float vector
        // (the fourth weight is 0, and 0 times an undefined value could be NaN).
        fft.InverseFromTransposed(ref re, ref im, m + 1, work);
    }
}
