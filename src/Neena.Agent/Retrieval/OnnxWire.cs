using System.Text;

namespace Neena.Agent.Retrieval;

/// <summary>
/// The protocol buffers wire format, as much of it as <see cref="ModelQuantizer"/> needs to walk an ONNX model without
/// holding it: tags, varints and length-delimited fields read from a seekable stream and written to a buffer. Generated
/// message classes would parse the whole 90 MB model into memory at once, which is the peak this rewrite exists to avoid.
/// Field numbers are those of onnx.proto.
/// </summary>
internal static class OnnxWire
{
    public const int Varint = 0, Fixed64 = 1, Delimited = 2, Fixed32 = 5;

    // onnx.proto TensorProto.DataType.
    public const int Float = 1, Int8 = 3;

    public static ulong ReadVarint(Stream input)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = input.ReadByte();
            if (b < 0)
                throw new InvalidDataException("The model ends inside a varint.");
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
                return value;
        }
        throw new InvalidDataException("A varint of the model is longer than 10 bytes.");
    }

    public static ulong ReadVarint(ReadOnlySpan<byte> data, ref int offset)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = data[offset++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
                return value;
        }
        throw new InvalidDataException("A varint of the model is longer than 10 bytes.");
    }

    /// <summary>One field of a message: its number, wire type, where its payload starts and how long it is.</summary>
    public readonly record struct Field(int Number, int WireType, long Start, long PayloadStart, long PayloadLength)
    {
        public long End => PayloadStart + PayloadLength;
    }

    /// <summary>The fields of the message spanning [start, end) of <paramref name="input"/>; payloads are skipped, not read.</summary>
    public static List<Field> Fields(Stream input, long start, long end)
    {
        var fields = new List<Field>();
        input.Position = start;
        while (input.Position < end)
        {
            var fieldStart = input.Position;
            var tag = ReadVarint(input);
            int number = (int)(tag >> 3), wireType = (int)(tag & 7);
            long payloadStart, length;
            switch (wireType)
            {
                case Varint:
                    payloadStart = input.Position;
                    ReadVarint(input);
                    length = input.Position - payloadStart;
                    break;
                case Fixed64:
                case Fixed32:
                    payloadStart = input.Position;
                    length = wireType == Fixed64 ? 8 : 4;
                    break;
                case Delimited:
                    length = (long)ReadVarint(input);
                    payloadStart = input.Position;
                    break;
                default:
                    throw new InvalidDataException($"Unsupported wire type {wireType} in the model.");
            }
            if (payloadStart + length > end)
                throw new InvalidDataException("A field of the model runs past its message.");
            fields.Add(new Field(number, wireType, fieldStart, payloadStart, length));
            input.Position = payloadStart + length;
        }
        return fields;
    }

    public static byte[] Read(Stream input, long start, long length)
    {
        var bytes = new byte[length];
        input.Position = start;
        input.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>The fields of a message held in memory: (number, wire type, payload) with varints decoded into Value.</summary>
    public static IEnumerable<(int Number, int WireType, ulong Value, ReadOnlyMemory<byte> Payload)> Fields(ReadOnlyMemory<byte> message)
    {
        var offset = 0;
        while (offset < message.Length)
        {
            var tag = ReadVarint(message.Span, ref offset);
            int number = (int)(tag >> 3), wireType = (int)(tag & 7);
            switch (wireType)
            {
                case Varint:
                    yield return (number, wireType, ReadVarint(message.Span, ref offset), default);
                    break;
                case Fixed64:
                case Fixed32:
                    var size = wireType == Fixed64 ? 8 : 4;
                    yield return (number, wireType, 0, message.Slice(offset, size));
                    offset += size;
                    break;
                case Delimited:
                    var length = (int)ReadVarint(message.Span, ref offset);
                    yield return (number, wireType, (ulong)length, message.Slice(offset, length));
                    offset += length;
                    break;
                default:
                    throw new InvalidDataException($"Unsupported wire type {wireType} in the model.");
            }
        }
    }

    public static string String(ReadOnlyMemory<byte> payload) => Encoding.UTF8.GetString(payload.Span);

    public static int VarintSize(ulong value)
    {
        var size = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            size++;
        }
        return size;
    }

    public static void WriteVarint(Stream output, ulong value)
    {
        while (value >= 0x80)
        {
            output.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        output.WriteByte((byte)value);
    }

    public static void WriteTag(Stream output, int number, int wireType) => WriteVarint(output, ((ulong)number << 3) | (uint)wireType);

    public static void WriteVarintField(Stream output, int number, long value)
    {
        WriteTag(output, number, Varint);
        WriteVarint(output, (ulong)value);
    }

    public static void WriteBytesField(Stream output, int number, ReadOnlySpan<byte> payload)
    {
        WriteTag(output, number, Delimited);
        WriteVarint(output, (ulong)payload.Length);
        output.Write(payload);
    }

    public static void WriteStringField(Stream output, int number, string value) =>
        WriteBytesField(output, number, Encoding.UTF8.GetBytes(value));

    /// <summary>A length-delimited field whose payload is a message built by <paramref name="build"/>.</summary>
    public static void WriteMessageField(Stream output, int number, Action<Stream> build)
    {
        using var message = new MemoryStream();
        build(message);
        WriteBytesField(output, number, message.GetBuffer().AsSpan(0, (int)message.Length));
    }
}
