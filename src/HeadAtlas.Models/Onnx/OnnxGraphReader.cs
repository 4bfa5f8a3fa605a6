using System.Runtime.InteropServices;
using Google.Protobuf;

namespace HeadAtlas.Models.Onnx;

/// <summary>
/// Reads an ONNX model file (protobuf ModelProto) with Google.Protobuf's wire-level reader: no generated classes,
/// only the fields HeadAtlas needs. Field numbers are those of onnx/onnx.proto3.
/// </summary>
public static class OnnxGraphReader
{
    // ModelProto
    private const int ModelGraph = 7;
    // GraphProto
    private const int GraphNode = 1, GraphInitializer = 5, GraphInput = 11, GraphOutput = 12;
    // NodeProto
    private const int NodeInput = 1, NodeOutput = 2, NodeName = 3, NodeOpType = 4, NodeAttribute = 5;
    // AttributeProto
    private const int AttrName = 1, AttrF = 2, AttrI = 3, AttrS = 4, AttrT = 5, AttrFloats = 7, AttrInts = 8;
    // TensorProto
    private const int TensorDims = 1, TensorDataType = 2, TensorFloatData = 4, TensorInt32Data = 5, TensorInt64Data = 7,
        TensorName = 8, TensorRawData = 9, TensorDoubleData = 10, TensorDataLocation = 14;
    // ValueInfoProto
    private const int ValueInfoName = 1;

    // TensorProto.DataType codes this reader decodes.
    private const int Float = 1, Int32 = 6, Int64 = 7, Double = 11;

    public static OnnxGraph Read(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (IOException e) { throw new ModelException($"{path}: cannot read ONNX file: {e.Message}", e); }
        return Read(bytes, path);
    }

    public static OnnxGraph Read(Stream stream, string source)
    {
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return Read(buffer.ToArray(), source);
    }

    /// <param name="source">File or resource name, used in error messages.</param>
    public static OnnxGraph Read(byte[] model, string source)
    {
        try
        {
            ByteString? graph = null;
            var input = new CodedInputStream(model);
            uint tag;
            while ((tag = input.ReadTag()) != 0)
            {
                if (WireFormat.GetTagFieldNumber(tag) == ModelGraph) graph = input.ReadBytes();
                else input.SkipLastField();
            }
            if (graph is null) throw new ModelException($"{source}: not an ONNX model (no graph in the ModelProto)");
            return ReadGraph(graph, source);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new ModelException($"{source}: not a valid ONNX protobuf file ({e.Message})", e);
        }
    }

    private static OnnxGraph ReadGraph(ByteString graph, string source)
    {
        var constants = new Dictionary<string, OnnxTensor>(StringComparer.Ordinal);
        var nodes = new List<OnnxNode>();
        var inputs = new List<string>();
        var outputs = new List<string>();
        var input = Open(graph);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case GraphNode: nodes.Add(ReadNode(input.ReadBytes(), source)); break;
                case GraphInitializer:
                    var t = ReadTensor(input.ReadBytes(), source);
                    constants[t.Name] = t;
                    break;
                case GraphInput: inputs.Add(ReadValueInfoName(input.ReadBytes())); break;
                case GraphOutput: outputs.Add(ReadValueInfoName(input.ReadBytes())); break;
                default: input.SkipLastField(); break;
            }
        }
        // Constant nodes hold weights too in some exports: treat their value like an initializer.
        foreach (var node in nodes)
            if (node.OpType == "Constant" && node.Outputs.Length == 1 && node.Attributes.TryGetValue("value", out var v) && v.Tensor is { } value)
                constants[node.Outputs[0]] = value with { Name = node.Outputs[0] };
        // Older exporters list initializers among the graph inputs; keep only the real inputs.
        inputs.RemoveAll(constants.ContainsKey);
        return new OnnxGraph(source, constants, nodes, inputs, outputs);
    }

    private static OnnxNode ReadNode(ByteString bytes, string source)
    {
        string name = "", opType = "";
        var inputs = new List<string>();
        var outputs = new List<string>();
        var attributes = new Dictionary<string, OnnxAttribute>(StringComparer.Ordinal);
        var input = Open(bytes);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case NodeInput: inputs.Add(input.ReadString()); break;
                case NodeOutput: outputs.Add(input.ReadString()); break;
                case NodeName: name = input.ReadString(); break;
                case NodeOpType: opType = input.ReadString(); break;
                case NodeAttribute:
                    var a = ReadAttribute(input.ReadBytes(), source);
                    attributes[a.Name] = a;
                    break;
                default: input.SkipLastField(); break;
            }
        }
        return new OnnxNode(name, opType, [.. inputs], [.. outputs], attributes);
    }

    private static OnnxAttribute ReadAttribute(ByteString bytes, string source)
    {
        string name = "";
        float? f = null;
        long? i = null;
        string? s = null;
        OnnxTensor? t = null;
        var floats = new List<float>();
        var ints = new List<long>();
        var input = Open(bytes);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case AttrName: name = input.ReadString(); break;
                case AttrF: f = input.ReadFloat(); break;
                case AttrI: i = input.ReadInt64(); break;
                case AttrS: s = input.ReadBytes().ToStringUtf8(); break;
                case AttrT: t = ReadTensor(input.ReadBytes(), source); break;
                case AttrFloats: ReadRepeated(input, tag, floats, static s => s.ReadFloat()); break;
                case AttrInts: ReadRepeated(input, tag, ints, static s => s.ReadInt64()); break;
                default: input.SkipLastField(); break;
            }
        }
        return new OnnxAttribute(name, f, i, s, [.. floats], [.. ints], t);
    }

    private static OnnxTensor ReadTensor(ByteString bytes, string source)
    {
        string name = "";
        int dataType = 0;
        var dims = new List<long>();
        ByteString? raw = null;
        var floats = new List<float>();
        var ints = new List<long>();
        var doubles = new List<double>();
        var input = Open(bytes);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case TensorDims: ReadRepeated(input, tag, dims, static s => s.ReadInt64()); break;
                case TensorDataType: dataType = input.ReadInt32(); break;
                case TensorFloatData: ReadRepeated(input, tag, floats, static s => s.ReadFloat()); break;
                case TensorInt32Data: ReadRepeated(input, tag, ints, static s => s.ReadInt32()); break;
                case TensorInt64Data: ReadRepeated(input, tag, ints, static s => s.ReadInt64()); break;
                case TensorDoubleData: ReadRepeated(input, tag, doubles, static s => s.ReadDouble()); break;
                case TensorName: name = input.ReadString(); break;
                case TensorRawData: raw = input.ReadBytes(); break;
                case TensorDataLocation:
                    if (input.ReadInt32() == 1)
                        throw new ModelException($"{source}: tensor '{name}' keeps its data in an external file, which HeadAtlas does not read; save the model with its weights inside");
                    break;
                default: input.SkipLastField(); break;
            }
        }

        long count = 1;
        foreach (long d in dims) count *= d;
        float[] data;
        if (raw is not null)
        {
            // raw_data is little-endian, like this machine.
            var span = raw.Span;
            data = dataType switch
            {
                Float => MemoryMarshal.Cast<byte, float>(span).ToArray(),
                Int32 => Convert(MemoryMarshal.Cast<byte, int>(span)),
                Int64 => Convert(MemoryMarshal.Cast<byte, long>(span)),
                Double => Convert(MemoryMarshal.Cast<byte, double>(span)),
                _ => [], // other types (bool, float16, strings, ...) are not weights HeadAtlas reads
            };
        }
        else if (floats.Count > 0) data = [.. floats];
        else if (ints.Count > 0) data = ints.Select(v => (float)v).ToArray();
        else data = doubles.Select(v => (float)v).ToArray();

        if (data.Length != count && IsDecoded(dataType))
            throw new ModelException($"{source}: tensor '{name}' has {data.Length} values but its shape [{string.Join(", ", dims)}] needs {count}");
        return new OnnxTensor(name, [.. dims], data, dataType);
    }

    private static bool IsDecoded(int dataType) => dataType is Float or Int32 or Int64 or Double;

    private static float[] Convert<T>(ReadOnlySpan<T> values) where T : struct, IConvertible
    {
        var result = new float[values.Length];
        for (int i = 0; i < values.Length; i++) result[i] = System.Convert.ToSingle(values[i]);
        return result;
    }

    private static string ReadValueInfoName(ByteString bytes)
    {
        var input = Open(bytes);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == ValueInfoName) return input.ReadString();
            input.SkipLastField();
        }
        return "";
    }

    /// <summary>A repeated scalar field arrives either packed (one length-delimited blob) or one value per tag.</summary>
    private static void ReadRepeated<T>(CodedInputStream input, uint tag, List<T> into, Func<CodedInputStream, T> read)
    {
        if (WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
        {
            var packed = Open(input.ReadBytes());
            while (!packed.IsAtEnd) into.Add(read(packed));
        }
        else into.Add(read(input));
    }

    /// <summary>A reader over a sub-message without copying its bytes again.</summary>
    private static CodedInputStream Open(ByteString bytes) =>
        MemoryMarshal.TryGetArray(bytes.Memory, out var segment)
            ? new CodedInputStream(segment.Array!, segment.Offset, segment.Count)
            : new CodedInputStream(bytes.ToByteArray());
}
