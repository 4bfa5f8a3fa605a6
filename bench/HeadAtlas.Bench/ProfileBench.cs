using System.Buffers;
using HeadAtlas.Tensors;

namespace HeadAtlas.Bench;

/// <summary>
/// Where a MiniLM forward pass (32 × 32 tokens) spends its time: the whole pass next to its parts run alone at the
/// same sizes (linear-layer GEMMs, attention GEMMs + softmax, GELU, layer norms), at the given thread count.
/// </summary>
internal static class ProfileBench
{
    public static void Run(string[] args)
    {
        int threads = Timing.IntOption(args, "--threads", 1);
        int reps = Timing.IntOption(args, "--reps", 7);
        Gemm.Threads = threads;
        int t = ForwardBench.Sequences * ForwardBench.Tokens, d = 384, dMlp = 1536, layers = 6, heads = 12, dh = 32, len = ForwardBench.Tokens;
        var rng = new Random(2);
        float[] R(int n) { var x = new float[n]; for (int i = 0; i < n; i++) x[i] = (float)(rng.NextDouble() - 0.5); return x; }
        var x = R(t * d); var wqkv = R(d * 3 * d); var wo = R(d * d); var w1 = R(d * dMlp); var w2 = R(dMlp * d);
        var qkv = new float[t * 3 * d]; var o = new float[t * d]; var h = R(t * dMlp); var gamma = R(d); var beta = R(d);

        var ours = new OursMiniLm();
        var batch = ForwardBench.MakeBatch();
        ours.Run(batch);
        double whole = Timing.MedianCpu(() => ours.Run(batch), reps);

        double gemms = Timing.MedianCpu(() =>
        {
            for (int l = 0; l < layers; l++)
            {
                Gemm.Multiply(x, wqkv, qkv, t, d, 3 * d);
                Gemm.Multiply(x, wo, o, t, d, d);
                Gemm.Multiply(x, w1, h, t, d, dMlp);
                Gemm.Multiply(h, w2, o, t, dMlp, d);
            }
        }, reps);
        var hSource = R(t * dMlp);
        double copy = Timing.MedianCpu(() => { for (int l = 0; l < layers; l++) hSource.CopyTo(h, 0); }, reps);
        double gelu = Timing.MedianCpu(() => { for (int l = 0; l < layers; l++) { hSource.CopyTo(h, 0); Ops.GeluErf(h); } }, reps) - copy;
        double norms = Timing.MedianCpu(() => { for (int l = 0; l < 2 * layers; l++) Ops.LayerNormRows(x, d, gamma, beta, 1e-12f); }, reps);
        double attention = Timing.MedianCpu(() =>
        {
            for (int l = 0; l < layers; l++)
                for (int s = 0; s < ForwardBench.Sequences; s++)
                    for (int hh = 0; hh < heads; hh++)
                    {
                        var q = ArrayPool<float>.Shared.Rent(len * dh);
                        var sc = ArrayPool<float>.Shared.Rent(len * len);
                        Gemm.MultiplyTransposedB(q.AsSpan(0, len * dh), q.AsSpan(0, len * dh), sc.AsSpan(0, len * len), len, dh, len);
                        Ops.SoftmaxRows(sc.AsSpan(0, len * len), len);
                        Gemm.Multiply(sc.AsSpan(0, len * len), q.AsSpan(0, len * dh), q.AsSpan(0, len * dh), len, len, dh);
                        ArrayPool<float>.Shared.Return(q); ArrayPool<float>.Shared.Return(sc);
                    }
        }, reps);

        double parts = gemms + gelu + norms + attention;
        Console.WriteLine($"MiniLM forward profile, {threads} thread(s), batch {ForwardBench.Sequences} × {len}, median of {reps}, CPU time of all threads");
        Console.WriteLine($"  whole forward            {whole * 1e3,8:F1} ms  ({t / whole,6:F0} tok/s)");
        Console.WriteLine($"  linear GEMMs (24)        {gemms * 1e3,8:F1} ms  {gemms / whole,6:P0}  ({2.0 * t * layers * (3 * d * d + d * d + 2 * d * dMlp) / gemms / 1e9:F1} GFLOP/s)");
        Console.WriteLine($"  attention (1-thread loop){attention * 1e3,8:F1} ms  {attention / whole,6:P0}");
        Console.WriteLine($"  GELU                     {gelu * 1e3,8:F1} ms  {gelu / whole,6:P0}");
        Console.WriteLine($"  layer norms (12)         {norms * 1e3,8:F1} ms  {norms / whole,6:P0}");
        Console.WriteLine($"  rest (copies, bias, embed, hooks) {(whole - parts) * 1e3,8:F1} ms  {(whole - parts) / whole,6:P0}");
    }
}
