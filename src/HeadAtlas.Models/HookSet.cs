using HeadAtlas.Tensors;

namespace HeadAtlas.Models;

/// <summary>
/// The hook points of one forward pass over one sequence. Architectures call <see cref="Apply"/> at every named
/// point (TransformerLens names and shapes, batch dimension dropped); a caller asks for activations with
/// <see cref="Capture"/> and replaces them with <see cref="Override"/> (ablation, patching).
/// </summary>
public sealed class HookSet
{
    private readonly HashSet<string> _capture = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Func<Tensor, Tensor>> _overrides = new(StringComparer.Ordinal);
    private readonly bool _captureAll;

    public HookSet(bool captureAll = false) => _captureAll = captureAll;

    /// <summary>Activations recorded so far, by hook name.</summary>
    public Dictionary<string, Tensor> Captured { get; } = new(StringComparer.Ordinal);

    public HookSet Capture(params IEnumerable<string> names)
    {
        foreach (var n in names) _capture.Add(n);
        return this;
    }

    /// <summary>Replace the activation at <paramref name="name"/> with what <paramref name="edit"/> returns (same shape).</summary>
    public HookSet Override(string name, Func<Tensor, Tensor> edit)
    {
        _overrides[name] = edit;
        return this;
    }

    /// <summary>True when anyone wants this point: lets an architecture skip building a tensor nobody reads.</summary>
    public bool Wants(string name) => _captureAll || _capture.Contains(name) || _overrides.ContainsKey(name);

    /// <summary>Called by architectures at each hook point. Returns the tensor the forward pass continues with.</summary>
    public Tensor Apply(string name, Tensor value)
    {
        if (_overrides.TryGetValue(name, out var edit))
        {
            var edited = edit(value);
            if (!edited.Shape.AsSpan().SequenceEqual(value.Shape))
                throw new ModelException($"override of hook '{name}' returned shape [{string.Join(", ", edited.Shape)}], expected [{string.Join(", ", value.Shape)}]");
            value = edited;
        }
        if (_captureAll || _capture.Contains(name)) Captured[name] = value.Clone();
        return value;
    }

    /// <summary>Names asked for (captured or overridden) that are not among <paramref name="valid"/>.</summary>
    public IEnumerable<string> UnknownNames(IReadOnlySet<string> valid) =>
        _capture.Concat(_overrides.Keys).Where(n => !valid.Contains(n)).Distinct();
}
