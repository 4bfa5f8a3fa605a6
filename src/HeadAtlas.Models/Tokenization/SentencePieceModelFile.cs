using Google.Protobuf;

namespace HeadAtlas.Models.Tokenization;

/// <summary>
/// The parts of a SentencePiece <c>tokenizer.model</c> (protobuf ModelProto) that HeadAtlas reads itself, with
/// Google.Protobuf's wire-level reader: each piece's text and type, and the trainer's model type, byte fallback and
/// special ids. Field numbers and defaults are those of sentencepiece_model.proto. The segmentation itself is
/// Microsoft.ML.Tokenizers' (see <see cref="SentencePieceEncoder"/>).
/// </summary>
public sealed class SentencePieceModelFile
{
    public enum PieceType { Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6 }

    public enum Algorithm { Unigram = 1, Bpe = 2, Word = 3, Char = 4 }

    // ModelProto
    private const int ModelPieces = 1, ModelTrainerSpec = 2, ModelNormalizerSpec = 3;
    // ModelProto.SentencePiece
    private const int PieceText = 1, PieceKind = 3;
    // TrainerSpec
    private const int TrainerModelType = 3, TrainerByteFallback = 35, TrainerUnkId = 40, TrainerBosId = 41, TrainerEosId = 42;
    // NormalizerSpec
    private const int NormalizerName = 1, NormalizerCharsMap = 2;

    public required byte[] Bytes { get; init; }
    public required string[] Pieces { get; init; }         // [vocab]: id → piece text ("▁the", "<0xF0>", "<s>")
    public required PieceType[] Types { get; init; }       // [vocab]
    public required Algorithm ModelType { get; init; }
    public required bool ByteFallback { get; init; }
    public required int UnkId { get; init; }
    public required int BosId { get; init; }              // -1: the model has none
    public required int EosId { get; init; }
    public required string NormalizerRule { get; init; }   // "identity" for LLaMA and Mistral; "" when unnamed
    public required bool HasCharsMap { get; init; }        // a precompiled normalization table (e.g. nmt_nfkc)

    public int VocabSize => Pieces.Length;

    /// <summary>Reads and checks a tokenizer.model; <paramref name="path"/> names it in error messages.</summary>
    public static SentencePieceModelFile Read(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (IOException e) { throw new ModelException($"{path}: cannot read SentencePiece model: {e.Message}", e); }
        return Parse(bytes, path);
    }

    public static SentencePieceModelFile Parse(byte[] bytes, string source)
    {
        var pieces = new List<string>();
        var types = new List<PieceType>();
        var algorithm = Algorithm.Unigram;
        bool byteFallback = false;
        int unk = 0, bos = 1, eos = 2;
        string rule = "";
        bool charsMap = false;
        try
        {
            var input = new CodedInputStream(bytes);
            for (uint tag; (tag = input.ReadTag()) != 0;)
            {
                switch (WireFormat.GetTagFieldNumber(tag))
                {
                    case ModelPieces:
                        var (text, type) = ReadPiece(Message(input, tag, source));
                        pieces.Add(text);
                        types.Add(type);
                        break;
                    case ModelTrainerSpec:
                        // A repeated message field merges into the earlier one (protobuf rules): read them in order.
                        var trainer = new CodedInputStream(Message(input, tag, source).ToByteArray());
                        for (uint t; (t = trainer.ReadTag()) != 0;)
                        {
                            switch (WireFormat.GetTagFieldNumber(t))
                            {
                                case TrainerModelType: algorithm = (Algorithm)trainer.ReadEnum(); break;
                                case TrainerByteFallback: byteFallback = trainer.ReadBool(); break;
                                case TrainerUnkId: unk = trainer.ReadInt32(); break;
                                case TrainerBosId: bos = trainer.ReadInt32(); break;
                                case TrainerEosId: eos = trainer.ReadInt32(); break;
                                default: trainer.SkipLastField(); break;
                            }
                        }
                        break;
                    case ModelNormalizerSpec:
                        var normalizer = new CodedInputStream(Message(input, tag, source).ToByteArray());
                        for (uint t; (t = normalizer.ReadTag()) != 0;)
                        {
                            switch (WireFormat.GetTagFieldNumber(t))
                            {
                                case NormalizerName: rule = normalizer.ReadString(); break;
                                case NormalizerCharsMap: charsMap = normalizer.ReadBytes().Length > 0; break;
                                default: normalizer.SkipLastField(); break;
                            }
                        }
                        break;
                    default:
                        input.SkipLastField();
                        break;
                }
            }
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new ModelException($"{source}: not a SentencePiece model ({e.Message})", e);
        }
        if (pieces.Count == 0) throw new ModelException($"{source}: not a SentencePiece model (it lists no pieces)");
        if ((uint)unk >= (uint)pieces.Count || types[unk] != PieceType.Unknown)
            throw new ModelException($"{source}: unk_id {unk} is not an <unk> piece of the {pieces.Count}-piece vocabulary");
        return new SentencePieceModelFile
        {
            Bytes = bytes, Pieces = [.. pieces], Types = [.. types], ModelType = algorithm, ByteFallback = byteFallback,
            UnkId = unk, BosId = bos < pieces.Count ? bos : -1, EosId = eos < pieces.Count ? eos : -1,
            NormalizerRule = rule, HasCharsMap = charsMap,
        };
    }

    private static ByteString Message(CodedInputStream input, uint tag, string source)
    {
        if (WireFormat.GetTagWireType(tag) != WireFormat.WireType.LengthDelimited)
            throw new ModelException($"{source}: not a SentencePiece model (field {WireFormat.GetTagFieldNumber(tag)} is not a message)");
        return input.ReadBytes();
    }

    private static (string Text, PieceType Type) ReadPiece(ByteString message)
    {
        var input = new CodedInputStream(message.ToByteArray());
        string text = "";
        var type = PieceType.Normal; // the proto's default
        for (uint tag; (tag = input.ReadTag()) != 0;)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case PieceText: text = input.ReadString(); break;
                case PieceKind: type = (PieceType)input.ReadEnum(); break;
                default: input.SkipLastField(); break;
            }
        }
        return (text, type);
    }

    /// <summary>The model with byte fallback switched off: the bytes with one more TrainerSpec appended that sets
    /// byte_fallback = false (a repeated message field merges into the first, so only that flag changes).</summary>
    public byte[] WithoutByteFallback()
    {
        // field 2 (TrainerSpec), length 3: field 35 as a varint (tag 35 << 3 = 0x98 0x02), value 0.
        byte[] patch = [0x12, 0x03, 0x98, 0x02, 0x00];
        return [.. Bytes, .. patch];
    }
}
