using HeadAtlas.Tensors;

namespace HeadAtlas.Models.Architectures;

/// <summary>
/// Where each sequence of a batch sits in the [tokens, ...] buffers that the linear layers run on, and its hooks.
/// Shared by every architecture (BERT, GPT-2, LLaMA family, ViT); checks ids and hook names up front.
/// </summary>
internal sealed class SequenceBatch
{
    public required int[] Offsets { get; init; }
    public required int[] Lengths { get; init; }
    public required HookSet?[] Hooks { get; init; }
    public int Count => Offsets.Length;
    public int Total { get; init; }

    public static SequenceBatch Create(IReadOnlyList<int[]> sequences, IReadOnlyList<HookSet?>? hooks, ModelInfo info, IReadOnlySet<string> hookNames, int vocabSize)
    {
        if (hooks is not null && hooks.Count != sequences.Count)
            throw new ArgumentException($"{hooks.Count} hook sets for {sequences.Count} sequences");
        var offsets = new int[sequences.Count];
        var lengths = new int[sequences.Count];
        int total = 0;
        for (int s = 0; s < sequences.Count; s++)
        {
            var ids = sequences[s];
            if (ids.Length == 0) throw new ModelException($"sequence {s} is empty");
            if (ids.Length > info.MaxPositions)
                throw new ModelException($"sequence {s} has {ids.Length} tokens; {info.Name} takes at most {info.MaxPositions}");
            foreach (int id in ids)
                if ((uint)id >= (uint)vocabSize) throw new ModelException($"sequence {s} has token id {id}; {info.Name}'s vocabulary has ids 0..{vocabSize - 1}");
            offsets[s] = total;
            lengths[s] = ids.Length;
            total += ids.Length;
        }
        var hookArray = new HookSet?[sequences.Count];
        for (int s = 0; s < sequences.Count; s++)
        {
            var h = hooks?[s];
            if (h is null) continue;
            var unknown = h.UnknownNames(hookNames).ToList();
            if (unknown.Count > 0)
                throw new ModelException($"unknown hook{(unknown.Count > 1 ? "s" : "")} {string.Join(", ", unknown.Select(u => $"'{u}'"))} for {info.Name}; valid hooks: {HookNameGroups.Describe(hookNames)}");
            hookArray[s] = h;
        }
        return new SequenceBatch { Offsets = offsets, Lengths = lengths, Hooks = hookArray, Total = total };
    }

    public bool AnyWants(string name) => Hooks.Any(h => h is not null && h.Wants(name));

    /// <summary>Hook over whole rows of a [tokens, width] buffer; each sequence sees [pos, ..inner].</summary>
    public void HookRows(string name, float[] buffer, int width, int[] inner)
    {
        for (int s = 0; s < Count; s++)
        {
            var hooks = Hooks[s];
            if (hooks is null || !hooks.Wants(name)) continue;
            int off = Offsets[s] * width, n = Lengths[s] * width;
            var value = new Tensor(buffer.AsSpan(off, n).ToArray(), [Lengths[s], .. inner]);
            hooks.Apply(name, value).Data.AsSpan().CopyTo(buffer.AsSpan(off, n)); // an override is written back
        }
    }

    /// <summary>
    /// Hook over columns [col, col + width) of a [tokens, stride] buffer; each sequence that wants
    /// <paramref name="name"/> sees them as [pos, ..inner], and what the hook returns is written back.
    /// </summary>
    public void HookColumns(string name, float[] buffer, int stride, int col, int width, int[] inner)
    {
        for (int s = 0; s < Count; s++)
        {
            var hooks = Hooks[s];
            if (hooks is null || !hooks.Wants(name)) continue;
            int off = Offsets[s], len = Lengths[s];
            var value = new Tensor([len, .. inner]);
            for (int p = 0; p < len; p++) buffer.AsSpan((off + p) * stride + col, width).CopyTo(value.Data.AsSpan(p * width, width));
            var result = hooks.Apply(name, value);
            for (int p = 0; p < len; p++) result.Data.AsSpan(p * width, width).CopyTo(buffer.AsSpan((off + p) * stride + col, width));
        }
    }

    /// <summary>Each sequence's rows of <paramref name="buffer"/> [tokens, width] as [pos, width], copied out.</summary>
    public Tensor[] Split(float[] buffer, int width)
    {
        var outputs = new Tensor[Count];
        for (int s = 0; s < Count; s++)
            outputs[s] = new Tensor(buffer.AsSpan(Offsets[s] * width, Lengths[s] * width).ToArray(), Lengths[s], width); // [pos, width]
        return outputs;
    }
}
