using System.Diagnostics;
using HeadAtlas.LlamaMemoryBench;
using HeadAtlas.Models;

// Memory benchmark: a ~1.2B-parameter LLaMA-family model in BF16 (random weights, LLaMA 3.2 1B's layout), one
// 512-token forward pass with every attention hook captured. Prints tokens/s and peak RSS (VmHWM).
// Usage: dotnet run -c Release --project bench/HeadAtlas.LlamaMemoryBench [FOLDER] [TOKENS]
string folder = args.Length > 0 ? args[0] : Path.Combine(Path.GetTempPath(), "headatlas-llama-1b-bf16");
int tokens = args.Length > 1 ? int.Parse(args[1]) : 512;

if (!File.Exists(Path.Combine(folder, "model.safetensors")))
{
    var w = Stopwatch.StartNew();
    Console.WriteLine($"writing a {SyntheticLlama.Parameters / 1e9:F2}B-parameter BF16 model to {folder} ...");
    SyntheticLlama.Write(folder);
    Console.WriteLine($"  written in {w.Elapsed.TotalSeconds:F0} s ({new FileInfo(Path.Combine(folder, "model.safetensors")).Length / (double)(1L << 30):F2} GiB)");
}
Console.WriteLine($"RSS before loading: {Rss("VmRSS"):F2} GiB");

var clock = Stopwatch.StartNew();
using var model = ModelLoader.Load(folder);
var info = model.Info;
Console.WriteLine($"loaded {info.Layers} layers x {info.Heads} heads ({info.KvHeads} kv), d_model {info.DModel} in {clock.Elapsed.TotalSeconds:F1} s; RSS {Rss("VmRSS"):F2} GiB");

var random = new Random(7);
var ids = Enumerable.Range(0, tokens).Select(_ => random.Next(256)).ToArray();
var hooks = new HookSet();
foreach (var name in model.HookNames.Where(n => n.Contains(".attn.hook_"))) hooks.Capture(name);

clock.Restart();
var output = model.Forward([ids], [hooks])[0];
double seconds = clock.Elapsed.TotalSeconds;
long captured = hooks.Captured.Values.Sum(t => (long)t.Length * 4);
bool finite = output.Data.All(float.IsFinite);
Console.WriteLine($"forward pass: {tokens} tokens in {seconds:F1} s = {tokens / seconds:F1} tokens/s; {hooks.Captured.Count} attention hooks captured ({captured / (double)(1L << 30):F2} GiB); output finite: {finite}");
Console.WriteLine($"peak RSS: {Rss("VmHWM"):F2} GiB (budget 8 GiB); the weights in fp32 would be {SyntheticLlama.Parameters * 4 / (double)(1L << 30):F2} GiB");
return Rss("VmHWM") <= 8 ? 0 : 1;

static double Rss(string field)
{
    foreach (var line in File.ReadLines("/proc/self/status"))
        if (line.StartsWith(field + ":"))
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / (1024.0 * 1024.0); // kB → GiB
    return double.NaN;
}
