using HeadAtlas.Tensors;

namespace HeadAtlas.Bench;

/// <summary>GFLOP/s of <see cref="Gemm"/> on the shapes of a MiniLM forward pass over 1024 tokens.</summary>
internal static class GemmBench
{
    public static void Run(string[] args)
    {
        int reps = Timing.IntOption(args, "--reps", 15);
        // Tuning knobs for experiments: block sizes and a single thread count.
        Gemm.Kc = Timing.IntOption(args, "--kc", Gemm.Kc);
        Gemm.Mc = Timing.IntOption(args, "--mc", Gemm.Mc);
        int onlyThreads = Timing.IntOption(args, "--threads", 0);
        bool cpu = Timing.Flag(args, "--cpu"); // time by process CPU seconds instead of wall clock
        (int M, int K, int N, string What)[] shapes =
        [
            (1024, 384, 384, "Q/K/V/out projection"),
            (1024, 384, 1536, "MLP up"),
            (1024, 1536, 384, "MLP down"),
            (32, 32, 32, "attention block Q·Kᵀ"),
        ];
        Console.WriteLine($"GEMM GFLOP/s, ours (kernel {Gemm.KernelName}) vs ONNX Runtime MatMul (B constant), {Environment.ProcessorCount} processors, median of {reps}, Kc {Gemm.Kc}, Mc {Gemm.Mc}, {(cpu ? "per CPU-second" : "wall clock")}");
        Console.WriteLine($"{"m×k×n",-16} {"what",-22} {"threads",7} {"ours",8} {"ort",8} {"ours/ort",9}");
        foreach (var (m, k, n, what) in shapes)
        {
            var rng = new Random(1);
            var a = Fill(rng, m * k); var b = Fill(rng, k * n); var c = new float[m * n];
            double flops = 2.0 * m * k * n;
            // Small shapes: time many calls per sample so the timer's resolution does not matter.
            int inner = Math.Max(1, (int)(2e8 / flops));
            foreach (int threads in onlyThreads > 0 ? new[] { onlyThreads } : new[] { 1, 2 })
            {
                using var ort = new OrtMatMul(a, b, m, k, n, threads);
                void Ours() { for (int i = 0; i < inner; i++) Gemm.Multiply(a, b, c, m, k, n, false, threads); }
                void Ort() { for (int i = 0; i < inner; i++) ort.Run(); }
                Ours(); Ort();
                // Alternate the two sides so both see the same machine load.
                var tOurs = new List<double>(); var tOrt = new List<double>();
                for (int r = 0; r < reps; r++)
                {
                    tOurs.Add(cpu ? Timing.MedianCpu(Ours, 1) : Timing.Median(Ours, 1));
                    tOrt.Add(cpu ? Timing.MedianCpu(Ort, 1) : Timing.Median(Ort, 1));
                }
                double gOurs = flops * inner / Med(tOurs) / 1e9, gOrt = flops * inner / Med(tOrt) / 1e9;
                Console.WriteLine($"{$"{m}×{k}×{n}",-16} {what,-22} {threads,7} {gOurs,8:F1} {gOrt,8:F1} {gOurs / gOrt,9:F2}");
            }
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
