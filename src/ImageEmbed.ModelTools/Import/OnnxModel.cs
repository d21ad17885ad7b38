namespace ImageEmbed.ModelTools.Import;

// The small part of the ONNX schema the importer writes (see OnnxWriter for the encoding).

/// <summary>ONNX <c>TensorProto.DataType</c> values the importer uses.</summary>
internal enum OnnxDataType
{
    Float = 1,
    Int8 = 3,
    Int64 = 7,
}

/// <summary>A model: one graph against the default operator set.</summary>
internal sealed record OnnxModel(OnnxGraph Graph, string DocString)
{
    public long IrVersion { get; init; } = 7;
    public long OpsetVersion { get; init; } = 13;
    public string ProducerName { get; init; } = "imageembed";
}

internal sealed record OnnxGraph(
    string Name,
    IReadOnlyList<OnnxNode> Nodes,
    IReadOnlyList<OnnxTensor> Initializers,
    IReadOnlyList<OnnxValueInfo> Inputs,
    IReadOnlyList<OnnxValueInfo> Outputs);

internal sealed record OnnxNode(string OpType, string Name, string[] Inputs, string[] Outputs, OnnxAttribute[] Attributes);

/// <summary>ONNX <c>AttributeProto.AttributeType</c> values the importer uses.</summary>
internal enum OnnxAttributeType
{
    Float = 1,
    Int = 2,
    String = 3,
    Ints = 7,
}

internal sealed class OnnxAttribute
{
    private OnnxAttribute(string name, OnnxAttributeType type)
    {
        Name = name;
        Type = type;
    }

    public string Name { get; }
    public OnnxAttributeType Type { get; }
    public float FloatValue { get; private init; }
    public long IntValue { get; private init; }
    public string StringValue { get; private init; } = "";
    public long[] IntsValue { get; private init; } = [];

    public static OnnxAttribute Float(string name, float value) => new(name, OnnxAttributeType.Float) { FloatValue = value };
    public static OnnxAttribute Int(string name, long value) => new(name, OnnxAttributeType.Int) { IntValue = value };
    public static OnnxAttribute String(string name, string value) => new(name, OnnxAttributeType.String) { StringValue = value };
    public static OnnxAttribute Ints(string name, params long[] values) => new(name, OnnxAttributeType.Ints) { IntsValue = values };
}

/// <summary>
/// A constant tensor. The data is referenced, not copied: it must not change until the model is written.
/// </summary>
internal sealed class OnnxTensor
{
    private readonly ReadOnlyMemory<float> _floats;
    private readonly ReadOnlyMemory<long> _longs;
    private readonly ReadOnlyMemory<sbyte> _int8s;

    private OnnxTensor(string name, long[] dims, OnnxDataType type, ReadOnlyMemory<float> floats = default, ReadOnlyMemory<long> longs = default, ReadOnlyMemory<sbyte> int8s = default)
    {
        long count = 1;
        foreach (long d in dims) count *= d;
        int length = type switch { OnnxDataType.Float => floats.Length, OnnxDataType.Int64 => longs.Length, _ => int8s.Length };
        if (count != length)
            throw new ArgumentException($"Tensor '{name}': dims [{string.Join(",", dims)}] hold {count} elements but {length} were given.", nameof(dims));
        Name = name;
        Dims = dims;
        DataType = type;
        _floats = floats;
        _longs = longs;
        _int8s = int8s;
    }

    public string Name { get; }

    /// <summary>The shape; empty for a scalar.</summary>
    public long[] Dims { get; }

    public OnnxDataType DataType { get; }

    /// <summary>The elements as bytes in machine order (little-endian on every platform .NET runs ONNX Runtime on).</summary>
    public ReadOnlySpan<byte> RawData => DataType switch
    {
        OnnxDataType.Float => System.Runtime.InteropServices.MemoryMarshal.AsBytes(_floats.Span),
        OnnxDataType.Int64 => System.Runtime.InteropServices.MemoryMarshal.AsBytes(_longs.Span),
        _ => System.Runtime.InteropServices.MemoryMarshal.AsBytes(_int8s.Span),
    };

    public long RawLength => DataType switch
    {
        OnnxDataType.Float => (long)_floats.Length * sizeof(float),
        OnnxDataType.Int64 => (long)_longs.Length * sizeof(long),
        _ => _int8s.Length,
    };

    public static OnnxTensor Float(string name, long[] dims, ReadOnlyMemory<float> data) => new(name, dims, OnnxDataType.Float, floats: data);
    public static OnnxTensor Int64(string name, long[] dims, ReadOnlyMemory<long> data) => new(name, dims, OnnxDataType.Int64, longs: data);
    public static OnnxTensor Int8(string name, long[] dims, ReadOnlyMemory<sbyte> data) => new(name, dims, OnnxDataType.Int8, int8s: data);
}

/// <summary>One dimension of a declared shape: a fixed size, or a named symbolic one (<c>dim_param</c>).</summary>
internal readonly record struct OnnxDim(long Value, string? Param)
{
    public static OnnxDim Fixed(long value) => new(value, null);
    public static OnnxDim Symbolic(string name) => new(0, name);
}

/// <summary>A graph input or output: name, element type and shape.</summary>
internal sealed record OnnxValueInfo(string Name, OnnxDataType ElementType, OnnxDim[] Shape);
