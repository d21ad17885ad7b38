using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;

namespace ImageEmbed.Native.Onnx;

/// <summary>
/// One ONNX Runtime inference session over a model file. <see cref="Run"/> is thread-safe (ONNX Runtime
/// allows concurrent runs on one session); <see cref="Dispose"/> must not race with a run.
/// </summary>
public sealed unsafe class OrtSession : IDisposable
{
    private readonly OrtSessionHandle _session;

    /// <summary>Loads <paramref name="modelPath"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="OrtException">ONNX Runtime rejected the model or the settings.</exception>
    public OrtSession(string modelPath, OrtSessionSettings? settings = null)
    {
        settings ??= new OrtSessionSettings();
        if (!File.Exists(modelPath)) throw new FileNotFoundException($"Model file not found: {modelPath}", modelPath);
        OrtApi* api = OrtRuntime.Api;

        using var options = new OrtSessionOptionsHandle();
        nint rawOptions;
        OrtStatus.Check(api->CreateSessionOptions(&rawOptions));
        options.Attach(rawOptions);
        if (settings.IntraOpThreads > 0) OrtStatus.Check(api->SetIntraOpNumThreads(rawOptions, settings.IntraOpThreads));
        if (settings.InterOpThreads > 0) OrtStatus.Check(api->SetInterOpNumThreads(rawOptions, settings.InterOpThreads));
        OrtStatus.Check(api->SetSessionGraphOptimizationLevel(rawOptions, (int)settings.OptimizationLevel));
        if (!settings.CpuMemArena) OrtStatus.Check(api->DisableCpuMemArena(rawOptions));
        fixed (byte* key = "session.intra_op.allow_spinning\0"u8)
        fixed (byte* value = settings.AllowSpinning ? "1\0"u8 : "0\0"u8)
            OrtStatus.Check(api->AddSessionConfigEntry(rawOptions, key, value));

        _session = new OrtSessionHandle();
        nint rawSession;
        using (OrtRuntime.Env.Use(out nint env))
        fixed (byte* path = Utf8z(Path.GetFullPath(modelPath)))
            OrtStatus.Check(api->CreateSession(env, path, rawOptions, &rawSession));
        _session.Attach(rawSession);

        try
        {
            Inputs = ReadMetadata(rawSession, isInput: true);
            Outputs = ReadMetadata(rawSession, isInput: false);
        }
        catch
        {
            _session.Dispose();
            throw;
        }
        ModelPath = modelPath;
    }

    public string ModelPath { get; }

    /// <summary>Inputs as the model declares them, in graph order.</summary>
    public IReadOnlyList<OrtTensorInfo> Inputs { get; }

    /// <summary>Outputs as the model declares them, in graph order.</summary>
    public IReadOnlyList<OrtTensorInfo> Outputs { get; }

    /// <summary>
    /// Runs the model. Every declared input must be given exactly once. The input memory is read in
    /// place and must not change during the call.
    /// </summary>
    /// <param name="inputs">The inputs, by name.</param>
    /// <param name="outputNames">Outputs to compute, by name.</param>
    /// <param name="cancellationToken">Cancels a run in progress through <c>RunOptions</c> terminate.</param>
    /// <returns>The outputs, which the caller owns and must dispose.</returns>
    /// <exception cref="ArgumentException">Inputs or outputs do not match the model.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    /// <exception cref="OrtException">ONNX Runtime failed.</exception>
    public OrtOutputs Run(ReadOnlySpan<OrtInput> inputs, ReadOnlySpan<string> outputNames, CancellationToken cancellationToken = default)
    {
        ValidateNames(inputs, outputNames);
        cancellationToken.ThrowIfCancellationRequested();
        OrtApi* api = OrtRuntime.Api;

        // Names as NUL-terminated UTF-8, all in one stack buffer: no heap allocation per run.
        int nameBytes = 0;
        foreach (OrtInput input in inputs) nameBytes += Encoding.UTF8.GetByteCount(input.Name) + 1;
        foreach (string name in outputNames) nameBytes += Encoding.UTF8.GetByteCount(name) + 1;
        Span<byte> names = nameBytes <= 1024 ? stackalloc byte[nameBytes] : new byte[nameBytes];
        nint* inputNamePtrs = stackalloc nint[inputs.Length];
        nint* outputNamePtrs = stackalloc nint[outputNames.Length];
        nint* inputValues = stackalloc nint[inputs.Length];
        nint* outputValues = stackalloc nint[outputNames.Length];
        var pins = new MemoryHandle[inputs.Length];
        var inputHandles = new OrtValueHandle[inputs.Length];
        OrtRunOptionsHandle? runOptions = null;
        CancellationTokenRegistration registration = default;

        fixed (byte* namesBase = names)
        {
            int offset = 0;
            for (int i = 0; i < inputs.Length; i++) inputNamePtrs[i] = (nint)(namesBase + WriteName(names, ref offset, inputs[i].Name));
            for (int i = 0; i < outputNames.Length; i++) outputNamePtrs[i] = (nint)(namesBase + WriteName(names, ref offset, outputNames[i]));
            for (int i = 0; i < outputNames.Length; i++) outputValues[i] = 0;

            try
            {
                using var memoryLease = OrtRuntime.CpuMemory.Use(out nint memoryInfo);
                for (int i = 0; i < inputs.Length; i++)
                {
                    pins[i] = inputs[i].Pin(out nuint byteLength);
                    long[] shape = inputs[i].Shape;
                    nint value;
                    fixed (long* shapePtr = shape)
                        OrtStatus.Check(api->CreateTensorWithDataAsOrtValue(memoryInfo, pins[i].Pointer, byteLength, shapePtr, (nuint)shape.Length, inputs[i].ElementType, &value));
                    inputHandles[i] = new OrtValueHandle();
                    inputHandles[i].Attach(value);
                    inputValues[i] = value;
                }

                nint rawRunOptions = 0;
                if (cancellationToken.CanBeCanceled)
                {
                    runOptions = new OrtRunOptionsHandle();
                    OrtStatus.Check(api->CreateRunOptions(&rawRunOptions));
                    runOptions.Attach(rawRunOptions);
                    registration = cancellationToken.Register(static state => Terminate((OrtRunOptionsHandle)state!), runOptions);
                }

                using (_session.Use(out nint session))
                {
                    nint status = api->Run(session, rawRunOptions, inputNamePtrs, inputValues, (nuint)inputs.Length, outputNamePtrs, (nuint)outputNames.Length, outputValues);
                    if (status != 0 && cancellationToken.IsCancellationRequested)
                    {
                        api->ReleaseStatus(status);
                        cancellationToken.ThrowIfCancellationRequested();
                    }
                    OrtStatus.Check(status);
                }

                var tensors = new OrtTensor[outputNames.Length];
                try
                {
                    for (int i = 0; i < outputNames.Length; i++)
                    {
                        var handle = new OrtValueHandle();
                        handle.Attach(outputValues[i]);
                        outputValues[i] = 0; // ownership moved to the handle
                        tensors[i] = new OrtTensor(outputNames[i], handle);
                    }
                }
                catch
                {
                    foreach (OrtTensor? t in tensors) t?.Dispose();
                    throw;
                }
                return new OrtOutputs(tensors);
            }
            finally
            {
                registration.Dispose();
                runOptions?.Dispose();
                for (int i = 0; i < outputNames.Length; i++)
                    if (outputValues[i] != 0) api->ReleaseValue(outputValues[i]);
                for (int i = inputs.Length - 1; i >= 0; i--)
                {
                    inputHandles[i]?.Dispose();
                    pins[i].Dispose();
                }
            }
        }
    }

    public void Dispose() => _session.Dispose();

    private static void Terminate(OrtRunOptionsHandle options)
    {
        using var lease = options.Use(out nint raw);
        OrtStatus.Check(OrtRuntime.Api->RunOptionsSetTerminate(raw));
    }

    private void ValidateNames(ReadOnlySpan<OrtInput> inputs, ReadOnlySpan<string> outputNames)
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

    private static int WriteName(Span<byte> buffer, ref int offset, string name)
    {
        int start = offset;
        offset += Encoding.UTF8.GetBytes(name, buffer[offset..]);
        buffer[offset++] = 0;
        return start;
    }

    private static byte[] Utf8z(string s)
    {
        byte[] bytes = new byte[Encoding.UTF8.GetByteCount(s) + 1];
        Encoding.UTF8.GetBytes(s, bytes);
        return bytes;
    }

    private static OrtTensorInfo[] ReadMetadata(nint session, bool isInput)
    {
        OrtApi* api = OrtRuntime.Api;
        nuint count;
        OrtStatus.Check(isInput ? api->SessionGetInputCount(session, &count) : api->SessionGetOutputCount(session, &count));
        nint allocator;
        OrtStatus.Check(api->GetAllocatorWithDefaultOptions(&allocator)); // not ours to free

        var result = new OrtTensorInfo[(int)count];
        for (nuint i = 0; i < count; i++)
        {
            byte* rawName;
            OrtStatus.Check(isInput ? api->SessionGetInputName(session, i, allocator, &rawName) : api->SessionGetOutputName(session, i, allocator, &rawName));
            string name;
            try { name = Marshal.PtrToStringUTF8((nint)rawName) ?? ""; }
            finally { OrtStatus.Check(api->AllocatorFree(allocator, rawName)); }

            nint typeInfo;
            OrtStatus.Check(isInput ? api->SessionGetInputTypeInfo(session, i, &typeInfo) : api->SessionGetOutputTypeInfo(session, i, &typeInfo));
            using var typeInfoHandle = new OrtTypeInfoHandle();
            typeInfoHandle.Attach(typeInfo);
            nint tensorInfo; // owned by typeInfo: not released separately
            OrtStatus.Check(api->CastTypeInfoToTensorInfo(typeInfo, &tensorInfo));
            (OrtElementType type, long[] shape) = tensorInfo == 0 ? (OrtElementType.Undefined, []) : ReadTensorInfo(tensorInfo);
            result[(int)i] = new OrtTensorInfo(name, type, shape);
        }
        return result;
    }

    internal static (OrtElementType Type, long[] Shape) ReadTensorInfo(nint tensorInfo)
    {
        OrtApi* api = OrtRuntime.Api;
        OrtElementType type;
        OrtStatus.Check(api->GetTensorElementType(tensorInfo, &type));
        nuint rank;
        OrtStatus.Check(api->GetDimensionsCount(tensorInfo, &rank));
        long[] shape = new long[(int)rank];
        fixed (long* p = shape) OrtStatus.Check(api->GetDimensions(tensorInfo, p, rank));
        return (type, shape);
    }
}
