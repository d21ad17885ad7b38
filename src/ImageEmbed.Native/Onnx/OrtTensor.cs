using System.Runtime.InteropServices;

namespace ImageEmbed.Native.Onnx;

/// <summary>An output tensor that ONNX Runtime allocated. Dispose it to free the memory.</summary>
public sealed unsafe class OrtTensor : IDisposable
{
    private readonly OrtValueHandle _value;

    internal OrtTensor(string name, OrtValueHandle value)
    {
        _value = value;
        Name = name;
        using var lease = value.Use(out nint raw);
        nint info;
        OrtStatus.Check(OrtRuntime.Api->GetTensorTypeAndShape(raw, &info));
        using var infoHandle = new OrtTensorTypeAndShapeInfoHandle();
        infoHandle.Attach(info);
        (ElementType, Shape) = OrtSession.ReadTensorInfo(info);
    }

    public string Name { get; }
    public OrtElementType ElementType { get; }
    public long[] Shape { get; }

    /// <summary>
    /// The tensor's data. The span is valid only while this tensor is alive (not disposed).
    /// </summary>
    public ReadOnlySpan<float> AsFloats()
    {
        if (ElementType != OrtElementType.Float)
            throw new InvalidOperationException($"Output '{Name}' holds {ElementType}, not Float.");
        using var lease = _value.Use(out nint raw);
        void* data;
        OrtStatus.Check(OrtRuntime.Api->GetTensorMutableData(raw, &data));
        long count = 1;
        foreach (long d in Shape) count *= d;
        return new ReadOnlySpan<float>(data, checked((int)count));
    }

    public void Dispose() => _value.Dispose();
}

/// <summary>The outputs of one <see cref="OrtSession.Run"/>, in the order asked for. Disposing frees them all.</summary>
public sealed class OrtOutputs(OrtTensor[] tensors) : IDisposable
{
    public int Count => tensors.Length;
    public OrtTensor this[int index] => tensors[index];

    public OrtTensor this[string name] =>
        Array.Find(tensors, t => t.Name == name) ?? throw new KeyNotFoundException($"No output named '{name}' was requested.");

    public void Dispose()
    {
        // Reverse creation order, as ORT's own DisposableList does.
        for (int i = tensors.Length - 1; i >= 0; i--) tensors[i].Dispose();
    }
}
