using System.Numerics;
using System.Runtime.Intrinsics.X86;

namespace HeadAtlas.Tensors;

/// <summary>Which micro-kernel a GEMM runs. <see cref="Auto"/> takes the widest one the CPU supports.</summary>
internal enum GemmPath
{
    Auto,
    Avx512,
    Avx2Fma,
    Portable,
}

/// <summary>Shape of one micro-kernel: it computes an <see cref="Mr"/>×<see cref="Nr"/> tile of C.</summary>
internal readonly unsafe struct GemmKernel
{
    public readonly GemmPath Path;
    public readonly int Mr;
    public readonly int Nr;
    /// <summary>(a, lda, bPanel [kc, Nr], kc, c, ldc, add): C tile = (add ? C tile : 0) + A rows [Mr, kc] · bPanel,
    /// A read in place (Mr rows at stride lda).</summary>
    public readonly delegate*<float*, nint, float*, int, float*, nint, bool, void> Run;

    private GemmKernel(GemmPath path, int mr, int nr, delegate*<float*, nint, float*, int, float*, nint, bool, void> run)
    {
        Path = path; Mr = mr; Nr = nr; Run = run;
    }

    public static bool IsSupported(GemmPath path) => path switch
    {
        GemmPath.Auto or GemmPath.Portable => true,
        GemmPath.Avx512 => Avx512F.IsSupported,
        GemmPath.Avx2Fma => Avx2.IsSupported && Fma.IsSupported,
        _ => false,
    };

    public static GemmKernel For(GemmPath path)
    {
        if (path == GemmPath.Auto)
            path = IsSupported(GemmPath.Avx512) ? GemmPath.Avx512
                 : IsSupported(GemmPath.Avx2Fma) ? GemmPath.Avx2Fma
                 : GemmPath.Portable;
        if (!IsSupported(path)) throw new PlatformNotSupportedException($"this CPU cannot run the {path} GEMM kernel");
        return path switch
        {
            GemmPath.Avx512 => new(path, GemmKernelAvx512.Mr, GemmKernelAvx512.Nr, &GemmKernelAvx512.Run),
            GemmPath.Avx2Fma => new(path, GemmKernelAvx2.Mr, GemmKernelAvx2.Nr, &GemmKernelAvx2.Run),
            _ => new(path, GemmKernelPortable.Mr, GemmKernelPortable.Nr, &GemmKernelPortable.Run),
        };
    }
}
