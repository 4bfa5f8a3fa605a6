using HeadAtlas.Tensors;

namespace HeadAtlas.Bench;

/// <summary>Nanoseconds per element of the element-wise activations on an MLP-sized buffer (1024 × 1536), CPU time.</summary>
internal static class OpsBench
{
    public static void Run(string[] args)
    {
        int reps = Timing.IntOption(args, "--reps", 9);
        var rng = new Random(4);
        var source = new float[1024 * 1536];
        for (int i = 0; i < source.Length; i++) source[i] = (float)(rng.NextDouble() * 8 - 4);
        var x = new float[source.Length];
        double copy = Timing.MedianCpu(() => source.CopyTo(x, 0), reps);
        void Report(string name, Action<float[]> op)
        {
            op(x);
            double t = Timing.MedianCpu(() => { source.CopyTo(x, 0); op(x); }, reps) - copy;
            Console.WriteLine($"  {name,-10} {t / source.Length * 1e9,6:F2} ns/element");
        }
        Console.WriteLine($"activations on 1024 × 1536 floats, median of {reps}, CPU time");
        Report("GeluErf", v => Ops.GeluErf(v));
        Report("GeluTanh", v => Ops.GeluTanh(v));
        Report("Silu", v => Ops.Silu(v));
    }
}
