using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace ImageEmbed.Models.Onnx;

/// <summary>
/// One ONNX Runtime inference session over a model file (Microsoft.ML.OnnxRuntime), with the graph's
/// inputs and outputs read once and every run checked against them before any native call, so a wrong
/// name or element type is an <see cref="ArgumentException"/> that lists what the graph takes.
/// <see cref="Run"/> is thread-safe (ONNX Runtime allows concurrent runs on one session);
/// <see cref="Dispose"/> must not race with a run.
/// </summary>
public sealed class OrtSession : IDisposable
{
    // Shared by every run that cannot be cancelled: RunOptions is only read during a run.
    private static readonly RunOptions s_plainRun = new();

    private readonly InferenceSession _session;

    /// <summary>Loads <paramref name="modelPath"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="OnnxRuntimeException">ONNX Runtime rejected the model or the settings.</exception>
    public OrtSession(string modelPath, OrtSessionSettings? settings = null)
    {
        if (!File.Exists(modelPath)) throw new FileNotFoundException($"Model file not found: {modelPath}", modelPath);
        OnnxRuntimeEnvironment.EnsureCreated();
        using SessionOptions options = (settings ?? new OrtSessionSettings()).ToSessionOptions();
        _session = new InferenceSession(Path.GetFullPath(modelPath), options);
        Inputs = Describe(_session.InputNames, _session.InputMetadata);
        Outputs = Describe(_session.OutputNames, _session.OutputMetadata);
        ModelPath = modelPath;
    }

    public string ModelPath { get; }

    /// <summary>Inputs as the model declares them, in graph order.</summary>
    public IReadOnlyList<OrtTensorInfo> Inputs { get; }

    /// <summary>Outputs as the model declares them, in graph order.</summary>
    public IReadOnlyList<OrtTensorInfo> Outputs { get; }

    /// <summary>
    /// Runs the model. Every declared input must be given exactly once. The input memory is read in
    /// place (pinned, not copied) and must not change during the call.
    /// </summary>
    /// <param name="inputs">The inputs, by name.</param>
    /// <param name="outputNames">Outputs to compute, by name.</param>
    /// <param name="cancellationToken">Cancels a run in progress through <c>RunOptions.Terminate</c>.</param>
    /// <returns>The outputs, which the caller owns and must dispose.</returns>
    /// <exception cref="ArgumentException">Inputs or outputs do not match the model.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    /// <exception cref="OnnxRuntimeException">ONNX Runtime failed.</exception>
    public OrtOutputs Run(ReadOnlySpan<OrtInput> inputs, string[] outputNames, CancellationToken cancellationToken = default)
    {
        ValidateNames(inputs, outputNames);
        cancellationToken.ThrowIfCancellationRequested();

        string[] names = new string[inputs.Length];
        var values = new OrtValue[inputs.Length];
        RunOptions? cancellable = cancellationToken.CanBeCanceled ? new RunOptions() : null;
        CancellationTokenRegistration registration = default;
        try
        {
            for (int i = 0; i < inputs.Length; i++)
            {
                names[i] = inputs[i].Name;
                values[i] = inputs[i].CreateValue();
            }
            if (cancellable is not null)
                registration = cancellationToken.Register(static state => ((RunOptions)state!).Terminate = true, cancellable);

            IDisposableReadOnlyCollection<OrtValue> results;
            try
            {
                results = _session.Run(cancellable ?? s_plainRun, names, values, outputNames);
            }
            catch (OnnxRuntimeException) when (cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException(cancellationToken);
            }
            return new OrtOutputs(outputNames, results);
        }
        finally
        {
            registration.Dispose();
            cancellable?.Dispose();
            for (int i = values.Length - 1; i >= 0; i--) values[i]?.Dispose();
        }
    }

    public void Dispose() => _session.Dispose();

    private void ValidateNames(ReadOnlySpan<OrtInput> inputs, string[] outputNames)
    {
        if (inputs.Length != Inputs.Count)
            throw new ArgumentException($"The model takes {Inputs.Count} input(s) ({string.Join(", ", Inputs)}); {inputs.Length} were given.", nameof(inputs));
        foreach (OrtInput input in inputs)
        {
            OrtTensorInfo declared = FindByName(Inputs, input.Name)
                ?? throw new ArgumentException($"The model has no input '{input.Name}'; it takes {string.Join(", ", Inputs)}.", nameof(inputs));
            if (declared.ElementType != input.ElementType)
                throw new ArgumentException($"Input '{input.Name}' must be {declared.ElementType}, not {input.ElementType}.", nameof(inputs));
        }
        if (outputNames.Length == 0) throw new ArgumentException("Ask for at least one output.", nameof(outputNames));
        foreach (string name in outputNames)
            if (FindByName(Outputs, name) is null)
                throw new ArgumentException($"The model has no output '{name}'; it gives {string.Join(", ", Outputs)}.", nameof(outputNames));
    }

    private static OrtTensorInfo? FindByName(IReadOnlyList<OrtTensorInfo> list, string name)
    {
        foreach (OrtTensorInfo info in list) if (info.Name == name) return info;
        return null;
    }

    private static OrtTensorInfo[] Describe(IReadOnlyList<string> names, IReadOnlyDictionary<string, NodeMetadata> metadata)
    {
        var result = new OrtTensorInfo[names.Count];
        for (int i = 0; i < names.Count; i++)
        {
            NodeMetadata node = metadata[names[i]];
            result[i] = node.IsTensor
                ? new OrtTensorInfo(names[i], node.ElementDataType, Array.ConvertAll(node.Dimensions, d => (long)d))
                : new OrtTensorInfo(names[i], TensorElementType.DataTypeMax, []);
        }
        return result;
    }
}

/// <summary>A graph input or output as the model declares it. A dimension of -1 is dynamic (e.g. the batch).</summary>
public sealed record OrtTensorInfo(string Name, TensorElementType ElementType, long[] Shape)
{
    public override string ToString() =>
        $"{Name}: {ElementType}[{string.Join(",", Shape.Select(d => d < 0 ? "?" : d.ToString(CultureInfo.InvariantCulture)))}]";
}

/// <summary>
/// One named input tensor over caller memory. ONNX Runtime reads the memory in place (no copy);
/// it is pinned only for the duration of <see cref="OrtSession.Run"/>.
/// </summary>
public readonly struct OrtInput
{
    private readonly Memory<float> _floats;
    private readonly Memory<long> _longs;

    private OrtInput(string name, TensorElementType type, long[] shape, Memory<float> floats, Memory<long> longs)
    {
        long count = 1;
        foreach (long d in shape)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(d, nameof(shape));
            count *= d;
        }
        int length = type == TensorElementType.Float ? floats.Length : longs.Length;
        if (count != length)
            throw new ArgumentException($"Input '{name}': shape [{string.Join(",", shape)}] holds {count} elements but {length} were given.", nameof(shape));
        Name = name;
        ElementType = type;
        Shape = shape;
        _floats = floats;
        _longs = longs;
    }

    public string Name { get; }
    public TensorElementType ElementType { get; }
    public long[] Shape { get; }

    public static OrtInput Float(string name, Memory<float> data, params long[] shape) =>
        new(name, TensorElementType.Float, shape, data, default);

    public static OrtInput Int64(string name, Memory<long> data, params long[] shape) =>
        new(name, TensorElementType.Int64, shape, default, data);

    /// <summary>An OrtValue that pins this memory until it is disposed.</summary>
    internal OrtValue CreateValue() => ElementType == TensorElementType.Float
        ? OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _floats, Shape)
        : OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _longs, Shape);
}

/// <summary>An output tensor that ONNX Runtime allocated; valid while its <see cref="OrtOutputs"/> is alive.</summary>
public sealed class OrtTensor
{
    private readonly OrtValue _value;

    internal OrtTensor(string name, OrtValue value)
    {
        _value = value;
        Name = name;
        OrtTensorTypeAndShapeInfo info = value.GetTensorTypeAndShape();
        ElementType = info.ElementDataType;
        Shape = info.Shape;
    }

    public string Name { get; }
    public TensorElementType ElementType { get; }
    public long[] Shape { get; }

    /// <summary>The tensor's data, read in place. Valid only until the outputs are disposed.</summary>
    public ReadOnlySpan<float> AsFloats()
    {
        if (ElementType != TensorElementType.Float)
            throw new InvalidOperationException($"Output '{Name}' holds {ElementType}, not Float.");
        return _value.GetTensorDataAsSpan<float>();
    }
}

/// <summary>The outputs of one <see cref="OrtSession.Run"/>, in the order asked for. Disposing frees them all.</summary>
public sealed class OrtOutputs : IDisposable
{
    private readonly IDisposableReadOnlyCollection<OrtValue> _values;
    private readonly OrtTensor[] _tensors;

    internal OrtOutputs(string[] names, IDisposableReadOnlyCollection<OrtValue> values)
    {
        _values = values;
        try
        {
            _tensors = new OrtTensor[names.Length];
            int i = 0;
            foreach (OrtValue value in values) _tensors[i] = new OrtTensor(names[i++], value);
        }
        catch
        {
            values.Dispose();
            throw;
        }
    }

    public int Count => _tensors.Length;
    public OrtTensor this[int index] => _tensors[index];

    public OrtTensor this[string name] =>
        Array.Find(_tensors, t => t.Name == name) ?? throw new KeyNotFoundException($"No output named '{name}' was requested.");

    public void Dispose() => _values.Dispose();
}
