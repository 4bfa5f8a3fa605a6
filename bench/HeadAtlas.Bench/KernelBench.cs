using System.Runtime.InteropServices;
using HeadAtlas.Tensors;

namespace HeadAtlas.Bench;

/// <summary>The AVX2 micro-kernel alone on cache-resident panels: the ceiling the blocked GEMM can reach.</summary>
internal static unsafe class KernelBench
{
    public static void Run(string[] args)
    {
        int kc = Timing.IntOption(args, "--kc", 384), calls = 20000;
        const int mr = GemmKernelAvx2.Mr, nr = GemmKernelAvx2.Nr;
        float* a = (float*)NativeMemory.AlignedAlloc((nuint)(mr * kc * 4), 64);
        float* b = (float*)NativeMemory.AlignedAlloc((nuint)(nr * kc * 4), 64);
        float* c = (float*)NativeMemory.AlignedAlloc((nuint)(mr * nr * 4), 64);
        for (int i = 0; i < mr * kc; i++) a[i] = 0.001f * (i % 7);
        for (int i = 0; i < nr * kc; i++) b[i] = 0.001f * (i % 5);
        void Loop() { for (int i = 0; i < calls; i++) GemmKernelAvx2.Run(a, kc, b, kc, c, nr, true); }
        Loop();
        double t = Timing.MedianCpu(Loop, 9);
        Console.WriteLine($"AVX2 6×16 kernel, kc {kc}, L1-resident: {2.0 * mr * nr * kc * calls / t / 1e9:F1} GFLOP/s per CPU-second");
    }
}
