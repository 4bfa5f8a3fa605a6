// Side-by-side benchmarks. Each prints figures for both sides measured alternately in this one process, and
// their ratio: absolute timings on a shared machine are noisy, ratios much less so.
//   dotnet run -c Release --project bench/HeadAtlas.Bench -- gemm       GEMM GFLOP/s, 1 and 2 threads
//   dotnet run -c Release --project bench/HeadAtlas.Bench -- forward    MiniLM forward tokens/s, ours vs ONNX Runtime
using HeadAtlas.Bench;
using HeadAtlas.Tensors;

string what = args.Length > 0 ? args[0] : "";
switch (what)
{
    case "gemm": GemmBench.Run(args[1..]); break;
    case "forward": ForwardBench.Run(args[1..]); break;
    case "profile": ProfileBench.Run(args[1..]); break;
    case "ops": OpsBench.Run(args[1..]); break;
    case "kernel": KernelBench.Run(args[1..]); break;
    case "ours-loop": // our forward pass alone, repeatedly: a target for a sampling profiler (dotnet-trace)
        Gemm.Threads = Timing.IntOption(args, "--threads", 1);
        var model = new OursMiniLm();
        var batch = ForwardBench.MakeBatch();
        for (int i = 0; i < Timing.IntOption(args, "--rounds", 20); i++) model.Run(batch);
        break;
    default:
        Console.Error.WriteLine("usage: HeadAtlas.Bench gemm [--reps N] | forward [--rounds N] | profile [--threads N] | ops");
        return 2;
}
return 0;
