namespace ImageEmbed.ModelTools.Import;

/// <summary>Element types of TensorFlow.js weights that the importer reads.</summary>
public enum TfjsDataType
{
    Float32,
    Int32,
    Bool,
}

/// <summary>
/// One weight from a TensorFlow.js weights manifest, already dequantized: float32 weights are in
/// <see cref="Floats"/>, int32 and bool (as 0/1) weights in <see cref="Ints"/>. Immutable.
/// </summary>
public sealed class TfjsWeight
{
    internal TfjsWeight(string name, int[] shape, TfjsDataType dataType, ReadOnlyMemory<float> floats, ReadOnlyMemory<int> ints)
    {
        Name = name;
        Shape = shape;
        DataType = dataType;
        Floats = floats;
        Ints = ints;
    }

    public string Name { get; }

    /// <summary>The shape; empty for a scalar.</summary>
    public IReadOnlyList<int> Shape { get; }

    public TfjsDataType DataType { get; }

    /// <summary>The values, row-major, when <see cref="DataType"/> is <see cref="TfjsDataType.Float32"/>; empty otherwise.</summary>
    public ReadOnlyMemory<float> Floats { get; }

    /// <summary>The values, row-major, for int32 and bool weights; empty otherwise.</summary>
    public ReadOnlyMemory<int> Ints { get; }

    public int Rank => Shape.Count;

    public override string ToString() => $"{Name} {DataType}[{string.Join(",", Shape)}]";
}
