using System.Buffers.Binary;
using System.Text;

namespace HeadAtlas.Models.Tests;

/// <summary>
/// Seeded fuzzing of model folders: mutated safetensors headers and config.json files either load (and run) or fail
/// with a <see cref="ModelException"/>; no other exception escapes, no case hangs, none allocates without bound.
/// </summary>
public sealed class FolderFuzzTests
{
    private const int Cases = 250;
    private const long MaxAllocatedBytes = 64L << 20; // a fixture model loads and runs in about 1 MiB
    private static readonly TimeSpan MaxTime = TimeSpan.FromSeconds(20);

    [Theory]
    [InlineData("gpt2", 1)]
    [InlineData("llama-bf16", 2)]
    public void MutatedSafetensorsFailOnlyWithModelException(string fixture, int seed)
    {
        string dir = Fixtures.CopyToTemp(fixture);
        string path = Path.Combine(dir, "model.safetensors");
        var original = File.ReadAllBytes(path);
        int headerEnd = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(original);
        var random = new Random(seed);
        int failures = 0;
        for (int c = 0; c < Cases; c++)
        {
            var bytes = MutateSafetensors(original, headerEnd, random);
            File.WriteAllBytes(path, bytes);
            if (!LoadAndRun(dir, fixture, $"case {c}")) failures++;
        }
        Assert.True(failures > Cases / 4, $"only {failures} of {Cases} mutations were refused: the mutations are too gentle");
    }

    [Theory]
    [InlineData("gpt2", 3)]
    [InlineData("qwen2", 4)]
    [InlineData("bert", 5)]
    public void MutatedConfigFailsOnlyWithModelException(string fixture, int seed)
    {
        string dir = Fixtures.CopyToTemp(fixture);
        string path = Path.Combine(dir, "config.json");
        var original = File.ReadAllBytes(path);
        var random = new Random(seed);
        for (int c = 0; c < Cases; c++)
        {
            File.WriteAllBytes(path, MutateText(original, random));
            LoadAndRun(dir, fixture, $"case {c}");
        }
    }

    /// <summary>True when the folder loaded and ran; false when it was refused with a ModelException. Anything else fails the test.</summary>
    private static bool LoadAndRun(string dir, string fixture, string label)
    {
        var ids = Fixtures.Load(fixture).Ids;
        // Allocation is counted on the thread that loads and runs (other tests run in parallel in this process, so the
        // process-wide count would include theirs); the forward pass's helper threads only rent pooled scratch.
        var task = Task.Run(() =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                using var model = ModelLoader.LoadFolder(dir);
                model.Forward([ids], [new HookSet().Capture("blocks.0.attn.hook_pattern")]);
                return (Loaded: true, Allocated: GC.GetAllocatedBytesForCurrentThread() - before);
            }
            catch (ModelException) { return (Loaded: false, Allocated: GC.GetAllocatedBytesForCurrentThread() - before); }
        });
        Assert.True(task.Wait(MaxTime), $"{fixture} {label}: still running after {MaxTime}");
        var (loaded, allocated) = task.Result; // rethrows (as AggregateException) anything but ModelException
        Assert.True(allocated < MaxAllocatedBytes, $"{fixture} {label}: allocated {allocated >> 20} MiB");
        return loaded;
    }

    private static byte[] MutateSafetensors(byte[] original, int headerEnd, Random random)
    {
        var bytes = (byte[])original.Clone();
        switch (random.Next(6))
        {
            case 0: // flip a few header bytes
                for (int i = random.Next(1, 4); i > 0; i--) bytes[random.Next(8, headerEnd)] ^= (byte)(1 << random.Next(8));
                return bytes;
            case 1: // a wrong header length
                BinaryPrimitives.WriteUInt64LittleEndian(bytes, random.Next(3) switch { 0 => (ulong)random.NextInt64(), 1 => (ulong)random.Next(0, headerEnd + 64), _ => ulong.MaxValue - (ulong)random.Next(100) });
                return bytes;
            case 2: // truncated
                return bytes[..random.Next(0, bytes.Length)];
            case 3: // a digit of the header replaced: shapes and offsets that lie
            {
                var digits = Enumerable.Range(8, headerEnd - 8).Where(i => bytes[i] is >= (byte)'0' and <= (byte)'9').ToList();
                bytes[digits[random.Next(digits.Count)]] = (byte)('0' + random.Next(10));
                return bytes;
            }
            case 4: // a number of the header made huge or negative
            {
                string header = Encoding.UTF8.GetString(bytes, 8, headerEnd - 8);
                var numbers = System.Text.RegularExpressions.Regex.Matches(header, @"\d+").ToList();
                var m = numbers[random.Next(numbers.Count)];
                string replacement = random.Next(3) switch { 0 => "99999999999999999999", 1 => "-" + m.Value, _ => "4611686018427387904" };
                header = header[..m.Index] + replacement + header[(m.Index + m.Length)..];
                var h = Encoding.UTF8.GetBytes(header);
                var result = new byte[8 + h.Length + (bytes.Length - headerEnd)];
                BinaryPrimitives.WriteUInt64LittleEndian(result, (ulong)h.Length);
                h.CopyTo(result, 8);
                bytes.AsSpan(headerEnd).CopyTo(result.AsSpan(8 + h.Length));
                return result;
            }
            default: // random bytes in place of part of the header
            {
                int start = random.Next(8, headerEnd), len = Math.Min(random.Next(1, 32), headerEnd - start);
                random.NextBytes(bytes.AsSpan(start, len));
                return bytes;
            }
        }
    }

    private static byte[] MutateText(byte[] original, Random random)
    {
        var bytes = original.ToList();
        for (int i = random.Next(1, 4); i > 0; i--)
        {
            int at = random.Next(bytes.Count);
            switch (random.Next(5))
            {
                case 0: bytes[at] = (byte)random.Next(256); break;
                case 1: bytes.RemoveAt(at); break;
                case 2: bytes.InsertRange(at, Encoding.UTF8.GetBytes(random.Next(3) switch { 0 => "-", 1 => "99999999999", _ => "null" })); break;
                case 3: if (bytes[at] is >= (byte)'0' and <= (byte)'9') bytes[at] = (byte)('0' + random.Next(10)); else bytes[at] = (byte)'0'; break;
                default: bytes.RemoveRange(at, Math.Min(random.Next(1, 20), bytes.Count - at)); break;
            }
        }
        return [.. bytes];
    }
}
