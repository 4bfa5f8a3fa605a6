using HeadAtlas.Tensors;

namespace HeadAtlas.Tensors.Tests;

/// <summary>
/// GEMM against a double-precision naive reference on odd sizes, with each kernel path forced in turn where the CPU
/// has it, for plain and transposed B, accumulate on and off, 1 and 2 threads.
/// </summary>
[Collection(GemmStateCollection.Name)] // tests change Gemm's static path switch; run them one at a time
public class GemmTests
{
    // Every path is listed; on a CPU without it the test checks that forcing it fails cleanly instead.
    public static TheoryData<string> Paths() => new() { "Avx512", "Avx2Fma", "Portable" };

    private static bool Usable(string name, out GemmPath path)
    {
        path = Enum.Parse<GemmPath>(name);
        if (GemmKernel.IsSupported(path)) return true;
        var p = path;
        Assert.Throws<PlatformNotSupportedException>(() => GemmKernel.For(p));
        return false;
    }

    // (m, k, n): ragged against every Mr (4, 6) and Nr (8..32), several k blocks (k > 256), multiple m blocks (m > 96).
    private static readonly (int M, int K, int N)[] Shapes =
    [
        (1, 1, 1), (1, 7, 1), (7, 1, 7), (7, 7, 7), (33, 33, 33), (32, 32, 32), (1, 300, 129),
        (129, 7, 33), (300, 129, 1), (129, 300, 33), (97, 513, 65), (300, 300, 300),
    ];

    [Theory]
    [MemberData(nameof(Paths))]
    public void MultiplyMatchesDoubleReference(string name)
    {
        if (!Usable(name, out var path)) return;
        foreach (var (m, k, n) in Shapes)
            foreach (int threads in new[] { 1, 2 })
                foreach (bool accumulate in new[] { false, true })
                    foreach (bool transposed in new[] { false, true })
                        Check(path, m, k, n, threads, accumulate, transposed);
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void LargeThreadedProductMatchesReference(string name)
    {
        if (!Usable(name, out var path)) return;
        // Above the threading threshold, with a column count past one Nc block (3072) to cover the jc loop.
        Check(path, 40, 20, 3100, threads: 2, accumulate: true, transposed: false);
        Check(path, 200, 384, 190, threads: 2, accumulate: false, transposed: true);
    }

    [Fact]
    public void OneAndTwoThreadsGiveIdenticalBits()
    {
        // Same blocking whatever the thread count: each C element sees the same sums in the same order.
        var rng = new Random(3);
        int m = 150, k = 400, n = 170;
        var a = RandomMatrix(rng, m * k); var b = RandomMatrix(rng, k * n);
        var c1 = new float[m * n]; var c2 = new float[m * n];
        Gemm.Multiply(a, b, c1, m, k, n, false, threads: 1);
        Gemm.Multiply(a, b, c2, m, k, n, false, threads: 2);
        Assert.Equal(c1, c2);
    }

    [Fact]
    public void ZeroDepthClearsOrKeepsC()
    {
        var c = new float[] { 1, 2, 3, 4 };
        Gemm.Multiply([], [], c, 2, 0, 2, accumulate: true);
        Assert.Equal(new float[] { 1, 2, 3, 4 }, c);
        Gemm.Multiply([], [], c, 2, 0, 2);
        Assert.Equal(new float[4], c);
    }

    [Fact]
    public void DoesNotWritePastC()
    {
        int m = 7, k = 5, n = 9;
        var rng = new Random(1);
        var c = Enumerable.Repeat(42f, m * n + 5).ToArray();
        Gemm.Multiply(RandomMatrix(rng, m * k), RandomMatrix(rng, k * n), c, m, k, n);
        Assert.All(c[(m * n)..], v => Assert.Equal(42f, v));
    }

    [Fact]
    public void ShortSpansAreRejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => Gemm.Multiply(new float[5], new float[6], new float[6], 2, 3, 2));
        Assert.Contains("m=2, k=3, n=2", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Threads = 0);
    }

    private static void Check(GemmPath path, int m, int k, int n, int threads, bool accumulate, bool transposed)
    {
        var rng = new Random(m * 1_000_003 + k * 1009 + n);
        var a = RandomMatrix(rng, m * k);  // [m, k]
        var b = RandomMatrix(rng, k * n);  // [k, n]
        var bT = new float[n * k];          // [n, k]
        for (int p = 0; p < k; p++) for (int j = 0; j < n; j++) bT[j * k + p] = b[p * n + j];
        var c0 = RandomMatrix(rng, m * n); // [m, n] prior contents of C

        var expected = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = accumulate ? c0[i * n + j] : 0;
                for (int p = 0; p < k; p++) s += (double)a[i * k + p] * b[p * n + j];
                expected[i * n + j] = s;
            }

        var c = (float[])c0.Clone();
        var saved = Gemm.ForcedPath;
        try
        {
            Gemm.ForcedPath = path;
            if (transposed) Gemm.MultiplyTransposedB(a, bT, c, m, k, n, accumulate, threads);
            else Gemm.Multiply(a, b, c, m, k, n, accumulate, threads);
        }
        finally { Gemm.ForcedPath = saved; }

        // float32 sums of k products of values in [-1, 1]: error grows like sqrt(k)·eps; allow a generous bound.
        double tol = 1e-5 * (1 + Math.Sqrt(k)) * 4;
        for (int idx = 0; idx < m * n; idx++)
            if (Math.Abs(c[idx] - expected[idx]) > tol)
                Assert.Fail($"{path} m={m} k={k} n={n} threads={threads} acc={accumulate} transposed={transposed}: " +
                            $"C[{idx / n},{idx % n}] = {c[idx]}, expected {expected[idx]}");
    }

    private static float[] RandomMatrix(Random rng, int count)
    {
        var x = new float[count];
        for (int i = 0; i < count; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        return x;
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public class GemmStateCollection
{
    public const string Name = "Gemm static state";
}
