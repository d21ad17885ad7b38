using System.Buffers;

namespace ImageEmbed.Native.Onnx;

/// <summary>
/// One named input tensor over caller memory. ONNX Runtime reads the memory in place (no copy);
/// it is pinned only for the duration of <see cref="OrtSession.Run"/>.
/// </summary>
public readonly struct OrtInput
{
    private readonly Memory<float> _floats;
    private readonly Memory<long> _longs;

    private OrtInput(string name, OrtElementType type, long[] shape, Memory<float> floats, Memory<long> longs)
    {
        long count = 1;
        foreach (long d in shape)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(d, nameof(shape));
            count *= d;
        }
        int length = type == OrtElementType.Float ? floats.Length : longs.Length;
        if (count != length)
            throw new ArgumentException($"Input '{name}': shape [{string.Join(",", shape)}] holds {count} elements but {length} were given.", nameof(shape));
        Name = name;
        ElementType = type;
        Shape = shape;
        _floats = floats;
        _longs = longs;
    }

    public string Name { get; }
    public OrtElementType ElementType { get; }
    public long[] Shape { get; }

    public static OrtInput Float(string name, Memory<float> data, params long[] shape) =>
        new(name, OrtElementType.Float, shape, data, default);

    public static OrtInput Int64(string name, Memory<long> data, params long[] shape) =>
        new(name, OrtElementType.Int64, shape, default, data);

    internal MemoryHandle Pin(out nuint byteLength)
    {
        if (ElementType == OrtElementType.Float)
        {
            byteLength = (nuint)_floats.Length * sizeof(float);
            return _floats.Pin();
        }
        byteLength = (nuint)_longs.Length * sizeof(long);
        return _longs.Pin();
    }
}
