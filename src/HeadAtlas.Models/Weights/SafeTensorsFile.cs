using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;

namespace HeadAtlas.Models.Weights;

/// <summary>
/// One .safetensors file, memory-mapped read-only: 8 bytes little-endian header length, the JSON header
/// (<see cref="SafeTensorsHeader"/>), then the raw tensor bytes. Weights stay in their stored type (F16/BF16 take half
/// the memory of fp32) and are widened to fp32 when read; the OS pages them in as they are touched.
/// </summary>
public sealed unsafe class SafeTensorsFile : IDisposable
{
    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly byte* _data; // start of the data section
    private bool _disposed;

    public string Path { get; }
    public IReadOnlyDictionary<string, SafeTensorInfo> Tensors { get; }

    private SafeTensorsFile(string path, Dictionary<string, SafeTensorInfo> tensors, long dataStart, long dataLength)
    {
        Path = path;
        Tensors = tensors;
        if (dataLength == 0) return; // nothing to map (a file of empty tensors)
        _map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        _view = _map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        byte* start = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref start);
        _data = start + _view.PointerOffset + dataStart;
    }

    public static SafeTensorsFile Open(string path)
    {
        if (!File.Exists(path)) throw new ModelException($"{path}: file not found");
        Dictionary<string, SafeTensorInfo> tensors;
        long dataStart, dataLength;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read))
        {
            long fileLength = stream.Length;
            if (fileLength < 8) throw new ModelException($"{path}: {fileLength} bytes is too short for a safetensors file (8-byte header length first)");
            Span<byte> lengthBytes = stackalloc byte[8];
            stream.ReadExactly(lengthBytes);
            ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
            if (headerLength > (ulong)(fileLength - 8))
                throw new ModelException($"{path}: header length {headerLength} runs past the end of the file ({fileLength} bytes)");
            if (headerLength > SafeTensorsHeader.MaxHeaderBytes)
                throw new ModelException($"{path}: header length {headerLength} exceeds the format's limit of {SafeTensorsHeader.MaxHeaderBytes} bytes");
            var header = new byte[headerLength];
            stream.ReadExactly(header);
            dataStart = 8 + (long)headerLength;
            dataLength = fileLength - dataStart;
            tensors = SafeTensorsHeader.Parse(header, dataLength, path);
        }
        return new SafeTensorsFile(path, tensors, dataStart, dataLength);
    }

    public SafeTensorInfo Info(string name) =>
        Tensors.TryGetValue(name, out var t) ? t : throw new ModelException($"{Path}: no tensor '{name}'");

    /// <summary>The stored bytes of a tensor (no copy). Valid while this file is open.</summary>
    public ReadOnlySpan<byte> Bytes(SafeTensorInfo t)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (t.End == t.Begin) return [];
        if (t.End - t.Begin > int.MaxValue) throw new ModelException($"{Path}: tensor '{t.Name}' is over 2 GiB; read it in slices");
        return new ReadOnlySpan<byte>(_data + t.Begin, (int)(t.End - t.Begin));
    }

    /// <summary>Elements [first, first + destination.Length) of a float tensor, widened to fp32.</summary>
    public void CopyToF32(SafeTensorInfo t, Span<float> destination, long first = 0)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!t.DType.IsFloatWeight()) throw new ModelException($"{Path}: tensor '{t.Name}' is {t.DType}, not a float type");
        if (first < 0 || first + destination.Length > t.Count)
            throw new ArgumentOutOfRangeException(nameof(first), $"elements [{first}, {first + destination.Length}) of {t.Count}");
        int size = t.DType.Size();
        var bytes = new ReadOnlySpan<byte>(_data + t.Begin + first * size, destination.Length * size);
        DTypeConversion.ToF32(t.DType, bytes, destination);
    }

    /// <summary>fp32 view straight onto the mapped bytes, for F32 tensors (no copy); null for other types.</summary>
    public ReadOnlySpan<float> F32View(SafeTensorInfo t)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (t.DType != SafeTensorDType.F32) throw new InvalidOperationException($"{t.Name} is {t.DType}");
        if (t.Count > int.MaxValue) throw new ModelException($"{Path}: tensor '{t.Name}' has over 2^31 elements");
        return t.Count == 0 ? [] : new ReadOnlySpan<float>(_data + t.Begin, (int)t.Count);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_view is not null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
        }
        _map?.Dispose();
    }
}
