using ImageEmbed.ModelTools.Import;

namespace ImageEmbed.ModelTools.Quantization;

/// <summary>
/// One field of a protocol buffer message as it lies in the buffer: <see cref="Start"/> is where its tag
/// begins, so <c>[Start, End)</c> is the field's exact encoding (copied as is when the field is kept), and
/// <c>[PayloadStart, End)</c> its payload. <see cref="Varint"/> holds the value of a varint field.
/// </summary>
internal readonly record struct ProtoField(int Number, WireType Type, int Start, int PayloadStart, int End, ulong Varint)
{
    public int PayloadLength => End - PayloadStart;
}

/// <summary>
/// Reads the protocol buffer wire format (tag, varint, length-delimited, fixed) without a schema: callers
/// interpret the few fields they need and keep every other field's bytes untouched. Malformed input
/// throws <see cref="QuantizationException"/>.
/// </summary>
internal static class ProtoReader
{
    /// <summary>The fields of the message in <c>buffer[start..end)</c>, in file order.</summary>
    public static List<ProtoField> Fields(byte[] buffer, int start, int end)
    {
        var fields = new List<ProtoField>();
        int position = start;
        while (position < end)
        {
            int fieldStart = position;
            ulong key = ReadVarint(buffer, ref position, end);
            int number = (int)(key >> 3);
            var type = (WireType)(key & 7);
            if (number <= 0) throw Malformed(fieldStart, "a field number of 0");
            switch (type)
            {
                case WireType.Varint:
                    ulong value = ReadVarint(buffer, ref position, end);
                    fields.Add(new ProtoField(number, type, fieldStart, fieldStart, position, value));
                    break;
                case WireType.Fixed64:
                case WireType.Fixed32:
                    int size = type == WireType.Fixed64 ? 8 : 4;
                    if (end - position < size) throw Malformed(fieldStart, "a fixed-size field past the end of its message");
                    fields.Add(new ProtoField(number, type, fieldStart, position, position + size, 0));
                    position += size;
                    break;
                case WireType.LengthDelimited:
                    ulong length = ReadVarint(buffer, ref position, end);
                    if (length > (ulong)(end - position)) throw Malformed(fieldStart, $"a field of {length} bytes past the end of its message");
                    fields.Add(new ProtoField(number, type, fieldStart, position, position + (int)length, 0));
                    position += (int)length;
                    break;
                default:
                    throw Malformed(fieldStart, $"wire type {(int)type}, which ONNX does not use");
            }
        }
        return fields;
    }

    public static List<ProtoField> Fields(byte[] buffer, ProtoField message) => Fields(buffer, message.PayloadStart, message.End);

    public static string String(byte[] buffer, ProtoField field) =>
        System.Text.Encoding.UTF8.GetString(buffer, field.PayloadStart, field.PayloadLength);

    /// <summary>The values of a repeated int64 field, packed or not, appended to <paramref name="values"/>.</summary>
    public static void Int64s(byte[] buffer, ProtoField field, List<long> values)
    {
        if (field.Type == WireType.Varint)
        {
            values.Add((long)field.Varint);
            return;
        }
        int position = field.PayloadStart;
        while (position < field.End) values.Add((long)ReadVarint(buffer, ref position, field.End));
    }

    private static ulong ReadVarint(byte[] buffer, ref int position, int end)
    {
        ulong value = 0;
        for (int shift = 0; shift < 70; shift += 7)
        {
            if (position >= end) throw Malformed(position, "a varint cut off by the end of its message");
            byte b = buffer[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
        throw Malformed(position, "a varint longer than 10 bytes");
    }

    private static QuantizationException Malformed(int offset, string what) =>
        new($"Not a valid ONNX file: {what} at byte {offset:N0}.");
}
