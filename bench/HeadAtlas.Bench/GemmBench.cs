using HeadAtlas.Tensors;

namespace HeadAtlas.Bench;

/// <summary>GFLOP/s of <see cref="Gemm"/> on the shapes of a MiniLM forward pass over 1024 tokens.</summary>
internal static class GemmBench
{
    public static void Run(string[] args)
    {
        int reps = Timing.IntOption(args, "--reps", 15);
        (int M, int K, int N, string What)[] shapes =
        [
            (1024, 384, 384, "Q/K/V/out projection"),
            (1024, 384, 1536, "MLP up"),
            (1024, 1536, 384, "MLP down"),
            (32, 32, 32, "attention block Q·Kᵀ"),
        ];
        Console.WriteLine($"GEMM, kernel {Gemm.KernelName}, {Environment.ProcessorCount} processors, median of {reps}");
        Console.WriteLine($"{"m×k×n",-16} {"what",-22} {"1 thread",10} {"2 threads",10} {"2t/1t",7}");
        foreach (var (m, k, n, what) in shapes)
        {
            var rng = new Random(1);
            var a = Fill(rng, m * k); var b = Fill(rng, k * n); var c = new float[m * n];
            double flops = 2.0 * m * k * n;
            // Small shapes: time many calls per sample so the timer's resolution does not matter.
            int inner = Math.Max(1, (int)(2e8 / flops));
            void Once(int t) { for (int i = 0; i < inner; i++) Gemm.Multiply(a, b, c, m, k, n, false, t); }
            Once(1); Once(2);
            // Alternate 1- and 2-thread samples so both see the same machine load.
            var t1 = new List<double>(); var t2 = new List<double>();
            for (int r = 0; r < reps; r++)
            {
                t1.Add(Timing.Median(() => Once(1), 1));
                t2.Add(Timing.Median(() => Once(2), 1));
            }
            double g1 = flops * inner / Med(t1) / 1e9, g2 = flops * inner / Med(t2) / 1e9;
            Console.WriteLine($"{$"{m}×{k}×{n}",-16} {what,-22} {g1,10:F1} {g2,10:F1} {g2 / g1,7:F2}");
        }
        Console.WriteLine("(GFLOP/s = 2·m·k·n / time)");
    }

    private static double Med(List<double> x) { x.Sort(); return x[x.Count / 2]; }

    private static float[] Fill(Random rng, int count)
    {
        var x = new float[count];
        for (int i = 0; i < count; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        return x;
    }
}
