using Google.Protobuf;

namespace HeadAtlas.Models.Onnx;

/// <summary>Small edits to an ONNX file's bytes, e.g. to expose intermediate values to ONNX Runtime as outputs.</summary>
public static class OnnxModelEditor
{
    private const int ModelGraph = 7, GraphOutput = 12;
    private const int ValueInfoName = 1, ValueInfoType = 2, TypeTensor = 1, TensorElemType = 1;
    private const int Float = 1;

    /// <summary>
    /// A copy of <paramref name="model"/> whose graph also outputs the float32 values named
    /// <paramref name="valueNames"/> (node outputs). Every other byte of the model is kept as it was.
    /// </summary>
    public static byte[] WithExtraOutputs(byte[] model, IEnumerable<string> valueNames)
    {
        var extra = new MemoryStream();
        var extraOut = new CodedOutputStream(extra);
        foreach (var name in valueNames)
        {
            extraOut.WriteTag(GraphOutput, WireFormat.WireType.LengthDelimited);
            extraOut.WriteBytes(ValueInfo(name));
        }
        extraOut.Flush();

        var result = new MemoryStream();
        var input = new CodedInputStream(model);
        while (true)
        {
            long start = input.Position;
            uint tag = input.ReadTag();
            if (tag == 0) break;
            if (WireFormat.GetTagFieldNumber(tag) == ModelGraph)
            {
                // Repeated fields may come in any order, so the new outputs can simply follow the graph's bytes.
                var graph = input.ReadBytes();
                var output = new CodedOutputStream(result, leaveOpen: true);
                output.WriteTag(ModelGraph, WireFormat.WireType.LengthDelimited);
                output.WriteBytes(ByteString.CopyFrom([.. graph.Span, .. extra.ToArray()]));
                output.Flush();
            }
            else
            {
                input.SkipLastField();
                result.Write(model, (int)start, (int)(input.Position - start));
            }
        }
        return result.ToArray();
    }

    /// <summary>ValueInfoProto { name, type: tensor(float) } with the shape left for the runtime to infer.</summary>
    private static ByteString ValueInfo(string name)
    {
        var tensorType = Message(o => { o.WriteTag(TensorElemType, WireFormat.WireType.Varint); o.WriteInt32(Float); });
        var type = Message(o => { o.WriteTag(TypeTensor, WireFormat.WireType.LengthDelimited); o.WriteBytes(tensorType); });
        return Message(o =>
        {
            o.WriteTag(ValueInfoName, WireFormat.WireType.LengthDelimited);
            o.WriteString(name);
            o.WriteTag(ValueInfoType, WireFormat.WireType.LengthDelimited);
            o.WriteBytes(type);
        });
    }

    private static ByteString Message(Action<CodedOutputStream> write)
    {
        var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        write(output);
        output.Flush();
        return ByteString.CopyFrom(stream.ToArray());
    }
}
