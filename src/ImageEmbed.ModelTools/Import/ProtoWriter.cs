using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace ImageEmbed.ModelTools.Import;

/// <summary>Protocol buffer wire types (the low three bits of a field key).</summary>
internal enum WireType
{
    Varint = 0,
    Fixed64 = 1,
    LengthDelimited = 2,
    Fixed32 = 5,
}

/// <summary>
/// Writes protocol buffer fields straight to a stream. Nested messages are written as a length
/// header followed by their fields, so callers compute a message's size first (the <c>Size*</c>
/// helpers) instead of buffering it: a 17 MB model is never copied in memory. Not thread-safe.
/// </summary>
internal sealed class ProtoWriter(Stream stream)
{
    public void Tag(int field, WireType type) => Varint(((ulong)(uint)field << 3) | (uint)type);

    public void Varint(ulong value)
    {
        Span<byte> buffer = stackalloc byte[10];
        int n = 0;
        while (value >= 0x80)
        {
            buffer[n++] = (byte)(value | 0x80);
            value >>= 7;
        }
        buffer[n++] = (byte)value;
        stream.Write(buffer[..n]);
    }

    /// <summary>An int64 or int32 field. Negative values take ten bytes, as protobuf requires for both.</summary>
    public void Int64(int field, long value)
    {
        Tag(field, WireType.Varint);
        Varint((ulong)value);
    }

    public void Float(int field, float value)
    {
        Tag(field, WireType.Fixed32);
        Span<byte> buffer = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(buffer, value);
        stream.Write(buffer);
    }

    public void Bytes(int field, ReadOnlySpan<byte> value)
    {
        Header(field, value.Length);
        stream.Write(value);
    }

    public void String(int field, string value)
    {
        int length = Encoding.UTF8.GetByteCount(value);
        byte[]? rented = null;
        Span<byte> buffer = length <= 256 ? stackalloc byte[length] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            int written = Encoding.UTF8.GetBytes(value, buffer);
            Bytes(field, buffer[..written]);
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Starts a length-delimited field (a nested message or raw bytes) of <paramref name="length"/> bytes.</summary>
    public void Header(int field, long length)
    {
        Tag(field, WireType.LengthDelimited);
        Varint((ulong)length);
    }

    public static int SizeOfVarint(ulong value)
    {
        int n = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            n++;
        }
        return n;
    }

    public static int SizeOfTag(int field) => SizeOfVarint((ulong)(uint)field << 3);

    public static long SizeOfInt64(int field, long value) => SizeOfTag(field) + SizeOfVarint((ulong)value);

    public static long SizeOfFloat(int field) => SizeOfTag(field) + 4;

    public static long SizeOfString(int field, string value) => SizeOfLengthDelimited(field, Encoding.UTF8.GetByteCount(value));

    /// <summary>The size of a length-delimited field whose payload is <paramref name="length"/> bytes.</summary>
    public static long SizeOfLengthDelimited(int field, long length) => SizeOfTag(field) + SizeOfVarint((ulong)length) + length;
}
