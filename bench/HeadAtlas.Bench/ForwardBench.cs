using HeadAtlas.Tensors;

namespace HeadAtlas.Bench;

/// <summary>
/// MiniLM forward pass, tokens/s: ours (HeadAtlas.Models' BERT on <see cref="Gemm"/>) against ONNX Runtime on the
/// same batch (32 sequences × 32 tokens) and thread count, timed alternately, printing ours/ort.
/// </summary>
internal static class ForwardBench
{
    public const int Sequences = 32, Tokens = 32;

    public static void Run(string[] args)
    {
        int rounds = Timing.IntOption(args, "--rounds", 10);
        bool cpu = Timing.Flag(args, "--cpu"); // time by process CPU seconds (all threads) instead of wall clock
        var batch = MakeBatch();
        int tokens = Sequences * Tokens;
        Console.WriteLine($"MiniLM forward, batch {Sequences} × {Tokens} tokens, median of {rounds} rounds, GEMM kernel {Gemm.KernelName}, {(cpu ? "tokens per CPU-second" : "wall clock")}");
        Console.WriteLine($"{"threads",7} {"ours tok/s",11} {"ort tok/s",10} {"ours/ort",9}");
        foreach (int threads in new[] { 1, 2 })
        {
            using var ort = new OrtMiniLm(threads);
            var ours = OursMiniLm.TryCreate();
            Gemm.Threads = threads;
            ort.Run(batch); ort.Run(batch);
            if (ours != null) { ours.Run(batch); ours.Run(batch); }

            var tOrt = new List<double>(); var tOurs = new List<double>();
            for (int r = 0; r < rounds; r++)
            {
                tOrt.Add(cpu ? Timing.MedianCpu(() => ort.Run(batch), 1) : Timing.Median(() => ort.Run(batch), 1));
                if (ours != null) tOurs.Add(cpu ? Timing.MedianCpu(() => ours.Run(batch), 1) : Timing.Median(() => ours.Run(batch), 1));
            }
            double ortRate = tokens / Med(tOrt);
            if (ours == null)
            {
                Console.WriteLine($"{threads,7} {"n/a",11} {ortRate,10:F0} {"n/a",9}   (no built-in BERT in HeadAtlas.Models yet)");
                continue;
            }
            double oursRate = tokens / Med(tOurs);
            Console.WriteLine($"{threads,7} {oursRate,11:F0} {ortRate,10:F0} {oursRate / ortRate,9:F2}");
            if (threads == 1) Console.WriteLine($"        max |ours − ort| over last_hidden_state: {MaxDiff(ours.Run(batch), ort.Run(batch)):E2}");
        }
    }

    /// <summary>Deterministic token ids: [CLS] w… [SEP] with word pieces drawn from the ordinary vocabulary range.</summary>
    public static int[][] MakeBatch()
    {
        var rng = new Random(7);
        var batch = new int[Sequences][];
        for (int i = 0; i < Sequences; i++)
        {
            var ids = new int[Tokens];
            ids[0] = 101; ids[^1] = 102; // [CLS], [SEP]
            for (int j = 1; j < Tokens - 1; j++) ids[j] = rng.Next(1996, 29612);
            batch[i] = ids;
        }
        return batch;
    }

    private static double MaxDiff(float[] x, float[] y)
    {
        if (x.Length != y.Length) return double.NaN;
        double d = 0;
        for (int i = 0; i < x.Length; i++) d = Math.Max(d, Math.Abs(x[i] - y[i]));
        return d;
    }

    private static double Med(List<double> x) { x.Sort(); return x[x.Count / 2]; }
}
