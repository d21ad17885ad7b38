namespace ImageEmbed.Native.Onnx;

/// <summary>A graph input or output as the model declares it. A dimension of -1 is dynamic (e.g. the batch).</summary>
public sealed record OrtTensorInfo(string Name, OrtElementType ElementType, long[] Shape)
{
    public override string ToString() => $"{Name}: {ElementType}[{string.Join(",", Shape.Select(d => d < 0 ? "?" : d.ToString(System.Globalization.CultureInfo.InvariantCulture)))}]";
}
