using System.Runtime.InteropServices;
using ImageEmbed.Models.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace ImageEmbed.Models.Execution;

/// <summary>
/// Chooses the execution provider for <see cref="ModelsOptions.ExecutionProvider"/> (<c>auto</c>, <c>cpu</c>,
/// <c>cuda</c>, <c>coreml</c>) from what the loaded ONNX Runtime carries and what the host has. A provider asked
/// for by name that cannot run fails at start (<see cref="ExecutionProviderException"/>); <c>auto</c> takes CUDA
/// when it works and otherwise the CPU, saying why. Core ML is used only when asked for: its coverage of these
/// models' operators varies by macOS version, and a partly supported graph runs slower than on the CPU.
/// </summary>
public static class ExecutionProviders
{
    internal const string CudaName = "CUDAExecutionProvider";
    internal const string CoreMlName = "CoreMLExecutionProvider";
    private const string GpuBuildHint = "CUDA needs the GPU build (publish with -p:ImageEmbedGpu=true for linux-x64, docs/DEPLOY.md) on a host with an NVIDIA driver, CUDA 13 and cuDNN 9";

    /// <summary>The providers compiled into the loaded ONNX Runtime, e.g. <c>CPUExecutionProvider</c>.</summary>
    public static IReadOnlyList<string> Available
    {
        get
        {
            OnnxRuntimeEnvironment.EnsureCreated();
            return OrtEnv.Instance().GetAvailableProviders();
        }
    }

    /// <summary>Resolves the setting on this host.</summary>
    /// <exception cref="ExecutionProviderException">The provider asked for by name cannot run here.</exception>
    public static ProviderChoice Resolve(string setting, int cudaDevice) =>
        Resolve(setting, Available, provider => Probe(provider, cudaDevice), cudaDevice);

    /// <summary>
    /// The choice, given the providers the runtime carries and a probe that returns null when a provider can run
    /// and otherwise what is missing. Separate from the host so the rules are tested without a GPU.
    /// </summary>
    internal static ProviderChoice Resolve(string setting, IReadOnlyCollection<string> available, Func<ExecutionProvider, string?> probe, int cudaDevice = 0)
    {
        switch (setting.Trim().ToLowerInvariant())
        {
            case "cpu":
                return new(ExecutionProvider.Cpu, "CPU (IMAGEEMBED_EXECUTION_PROVIDER=cpu).");
            case "cuda":
                if (!available.Contains(CudaName))
                    throw new ExecutionProviderException($"IMAGEEMBED_EXECUTION_PROVIDER=cuda, but this build's ONNX Runtime has no CUDA provider (it has {string.Join(", ", available)}). {GpuBuildHint}. Or set IMAGEEMBED_EXECUTION_PROVIDER=auto or cpu.");
                if (probe(ExecutionProvider.Cuda) is { } cudaMissing)
                    throw new ExecutionProviderException($"IMAGEEMBED_EXECUTION_PROVIDER=cuda, but CUDA cannot run here: {cudaMissing} Set IMAGEEMBED_EXECUTION_PROVIDER=auto or cpu to run on the CPU.");
                return new(ExecutionProvider.Cuda, $"CUDA, GPU {cudaDevice} (IMAGEEMBED_EXECUTION_PROVIDER=cuda).");
            case "coreml":
                if (!available.Contains(CoreMlName))
                    throw new ExecutionProviderException($"IMAGEEMBED_EXECUTION_PROVIDER=coreml, but this build's ONNX Runtime has no Core ML provider (it has {string.Join(", ", available)}); Core ML is in the macOS builds (osx-arm64). Set IMAGEEMBED_EXECUTION_PROVIDER=auto or cpu.");
                return new(ExecutionProvider.CoreMl, "Core ML (IMAGEEMBED_EXECUTION_PROVIDER=coreml).");
            case "auto":
                if (!available.Contains(CudaName))
                    return new(ExecutionProvider.Cpu, "CPU (auto: this build's ONNX Runtime has no CUDA provider).");
                return probe(ExecutionProvider.Cuda) is { } missing
                    ? new(ExecutionProvider.Cpu, $"CPU (auto), because CUDA cannot run here: {missing}")
                    : new(ExecutionProvider.Cuda, $"CUDA, GPU {cudaDevice} (auto).");
            default:
                // The options validator refuses other values first; this guards callers that skip it.
                throw new ExecutionProviderException($"IMAGEEMBED_EXECUTION_PROVIDER must be auto, cpu, cuda or coreml (was '{setting}').");
        }
    }

    /// <summary>Null when <paramref name="provider"/> can run on this host; otherwise what is missing, with the native message.</summary>
    private static string? Probe(ExecutionProvider provider, int cudaDevice)
    {
        if (provider != ExecutionProvider.Cuda) return null;
        // ONNX Runtime reports a provider library that will not load only as "Failed to load shared library"; the
        // loader's own message names the missing CUDA or cuDNN library, so load it first ourselves.
        string? library = CudaProviderLibrary();
        if (library is null) return "this build has no CUDA provider library (libonnxruntime_providers_cuda) beside the application.";
        try
        {
            NativeLibrary.Load(library);
        }
        catch (DllNotFoundException e)
        {
            // The loader's message ends with dlerror's line (e.g. "libcublasLt.so.13: cannot open shared object file").
            string cause = e.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[^1];
            return $"the CUDA provider needs libraries this host lacks ({cause}). Install CUDA {CudaMajor} and cuDNN 9 (docs/DEPLOY.md).";
        }
        try
        {
            using var options = new SessionOptions();
            options.AppendExecutionProvider_CUDA(cudaDevice);
        }
        catch (OnnxRuntimeException e)
        {
            return $"ONNX Runtime could not start its CUDA provider ({e.Message.Trim()}).";
        }
        return CudaDevices(cudaDevice);
    }

    // ONNX Runtime 1.32's GPU package is built against CUDA 13 (its provider links libcublasLt.so.13).
    internal const int CudaMajor = 13;

    private static string? CudaProviderLibrary()
    {
        string name = OperatingSystem.IsWindows() ? "onnxruntime_providers_cuda.dll" : "libonnxruntime_providers_cuda.so";
        string rid = $"{(OperatingSystem.IsWindows() ? "win" : "linux")}-{RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant()}";
        // A published folder holds it beside the executable; a build leaves it under runtimes/RID/native.
        return new[] { Path.Combine(AppContext.BaseDirectory, name), Path.Combine(AppContext.BaseDirectory, "runtimes", rid, "native", name) }.FirstOrDefault(File.Exists);
    }

    private delegate int CudaGetDeviceCount(out int count);

    // The libraries load without a GPU; ask the CUDA runtime (loaded with the provider above) whether there is one.
    private static string? CudaDevices(int device)
    {
        string cudart = OperatingSystem.IsWindows() ? $"cudart64_{CudaMajor}.dll" : $"libcudart.so.{CudaMajor}";
        if (!NativeLibrary.TryLoad(cudart, out IntPtr runtime))
            return $"the CUDA {CudaMajor} runtime ({cudart}) is not on the library path.";
        if (!NativeLibrary.TryGetExport(runtime, "cudaGetDeviceCount", out IntPtr export))
            return $"{cudart} lacks cudaGetDeviceCount.";
        int error = Marshal.GetDelegateForFunctionPointer<CudaGetDeviceCount>(export)(out int count);
        if (error != 0) return $"the CUDA runtime found no usable GPU (cudaGetDeviceCount error {error}: is the NVIDIA driver loaded and the GPU visible to this process?).";
        return device < count ? null : $"GPU {device} was asked for (IMAGEEMBED_CUDA_DEVICE) but the CUDA runtime sees {count}.";
    }
}
