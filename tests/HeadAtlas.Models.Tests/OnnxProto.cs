using Google.Protobuf;

namespace HeadAtlas.Models.Tests;

/// <summary>Hand encoding of the few ONNX messages the tests need (field numbers from onnx.proto3).</summary>
internal static class Proto
{
    public static byte[] Model(ByteString graph, int opset = 17) => Message(o =>
    {
        o.WriteTag(1, WireFormat.WireType.Varint); o.WriteInt64(8); // ir_version
        o.WriteTag(7, WireFormat.WireType.LengthDelimited); o.WriteBytes(graph);
        o.WriteTag(8, WireFormat.WireType.LengthDelimited); // opset_import { domain: "", version }
        o.WriteBytes(Message(p => { p.WriteTag(2, WireFormat.WireType.Varint); p.WriteInt64(opset); }));
    }).ToByteArray();

    /// <param name="inputs">Graph inputs; typed int64 tensors when <paramref name="typed"/>.</param>
    /// <param name="outputs">Graph outputs; typed float tensors when <paramref name="typed"/>.</param>
    public static ByteString Graph(ByteString[] initializers, ByteString[] nodes, string[] inputs, string[] outputs, bool typed = false) => Message(o =>
    {
        foreach (var n in nodes) { o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteBytes(n); }
        o.WriteTag(2, WireFormat.WireType.LengthDelimited); o.WriteString("g");
        foreach (var t in initializers) { o.WriteTag(5, WireFormat.WireType.LengthDelimited); o.WriteBytes(t); }
        foreach (var i in inputs) { o.WriteTag(11, WireFormat.WireType.LengthDelimited); o.WriteBytes(ValueInfo(i, typed ? 7 : null)); }
        foreach (var i in outputs) { o.WriteTag(12, WireFormat.WireType.LengthDelimited); o.WriteBytes(ValueInfo(i, typed ? 1 : null)); }
    });

    public static ByteString Node(string op, string[] inputs, string[] outputs, string name, params ByteString[] attributes) => Message(o =>
    {
        foreach (var i in inputs) { o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(i); }
        foreach (var i in outputs) { o.WriteTag(2, WireFormat.WireType.LengthDelimited); o.WriteString(i); }
        o.WriteTag(3, WireFormat.WireType.LengthDelimited); o.WriteString(name);
        o.WriteTag(4, WireFormat.WireType.LengthDelimited); o.WriteString(op);
        foreach (var a in attributes) { o.WriteTag(5, WireFormat.WireType.LengthDelimited); o.WriteBytes(a); }
    });

    public static ByteString Tensor(string name, long[] dims, int dataType, float[]? raw = null, float[]? floatData = null,
        long[]? int64Data = null, bool packDims = true, bool externalLocation = false) => Message(o =>
    {
        if (packDims && dims.Length > 0)
        {
            o.WriteTag(1, WireFormat.WireType.LengthDelimited);
            o.WriteBytes(Message(p => { foreach (var d in dims) p.WriteInt64(d); }));
        }
        else foreach (var d in dims) { o.WriteTag(1, WireFormat.WireType.Varint); o.WriteInt64(d); }
        o.WriteTag(2, WireFormat.WireType.Varint); o.WriteInt32(dataType);
        if (floatData is not null)
        {
            o.WriteTag(4, WireFormat.WireType.LengthDelimited);
            o.WriteBytes(Message(p => { foreach (var f in floatData) p.WriteFloat(f); }));
        }
        if (int64Data is not null)
        {
            o.WriteTag(7, WireFormat.WireType.LengthDelimited);
            o.WriteBytes(Message(p => { foreach (var v in int64Data) p.WriteInt64(v); }));
        }
        o.WriteTag(8, WireFormat.WireType.LengthDelimited); o.WriteString(name);
        if (raw is not null)
        {
            o.WriteTag(9, WireFormat.WireType.LengthDelimited);
            o.WriteBytes(ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(raw.AsSpan())));
        }
        if (externalLocation) { o.WriteTag(14, WireFormat.WireType.Varint); o.WriteInt32(1); }
    });

    public static ByteString IntsAttribute(string name, params long[] values) => Message(o =>
    {
        o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(name);
        foreach (var v in values) { o.WriteTag(8, WireFormat.WireType.Varint); o.WriteInt64(v); }
        o.WriteTag(20, WireFormat.WireType.Varint); o.WriteInt32(7); // type: INTS
    });

    public static ByteString IntAttribute(string name, long value) => Message(o =>
    {
        o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(name);
        o.WriteTag(3, WireFormat.WireType.Varint); o.WriteInt64(value);
        o.WriteTag(20, WireFormat.WireType.Varint); o.WriteInt32(2); // type: INT
    });

    public static ByteString FloatAttribute(string name, float value) => Message(o =>
    {
        o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(name);
        o.WriteTag(2, WireFormat.WireType.Fixed32); o.WriteFloat(value);
        o.WriteTag(20, WireFormat.WireType.Varint); o.WriteInt32(1); // type: FLOAT
    });

    public static ByteString TensorAttribute(string name, ByteString tensor) => Message(o =>
    {
        o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(name);
        o.WriteTag(5, WireFormat.WireType.LengthDelimited); o.WriteBytes(tensor);
        o.WriteTag(20, WireFormat.WireType.Varint); o.WriteInt32(4); // type: TENSOR
    });

    /// <summary>ValueInfoProto with a name and, when <paramref name="elemType"/> is given, a tensor type of that element type.</summary>
    public static ByteString ValueInfo(string name, int? elemType = null) => Message(o =>
    {
        o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(name);
        if (elemType is { } e)
        {
            var tensorType = Message(t => { t.WriteTag(1, WireFormat.WireType.Varint); t.WriteInt32(e); });
            o.WriteTag(2, WireFormat.WireType.LengthDelimited);
            o.WriteBytes(Message(t => { t.WriteTag(1, WireFormat.WireType.LengthDelimited); t.WriteBytes(tensorType); }));
        }
    });

    public static ByteString Message(Action<CodedOutputStream> write)
    {
        var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        write(output);
        output.Flush();
        return ByteString.CopyFrom(stream.ToArray());
    }
}
