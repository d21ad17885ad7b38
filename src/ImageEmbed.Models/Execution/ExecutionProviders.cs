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
    private const string GpuBuildHint = "CUDA needs the GPU build (publish with -p:ImageEmbedGpu=true for linux-x64, docs/DEPLOY.md) on a host with an NVIDIA driver, CUDA 12 and cuDNN 9";

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
        Resolve(setting, Available, provider => Probe(provider, cudaDevice));

    /// <summary>
    /// The choice, given the providers the runtime carries and a probe that returns null when a provider can run
    /// and otherwise what is missing. Separate from the host so the rules are tested without a GPU.
    /// </summary>
    internal static ProviderChoice Resolve(string setting, IReadOnlyCollection<string> available, Func<ExecutionProvider, string?> probe)
    {
        switch (setting.Trim().ToLowerInvariant())
        {
            case "cpu":
                return new(ExecutionProvider.Cpu, "cpu (IMAGEEMBED_EXECUTION_PROVIDER=cpu)");
            case "cuda":
                if (!available.Contains(CudaName))
                    throw new ExecutionProviderException($"IMAGEEMBED_EXECUTION_PROVIDER=cuda, but this build's ONNX Runtime has no CUDA provider (it has {string.Join(", ", available)}). {GpuBuildHint}. Or set IMAGEEMBED_EXECUTION_PROVIDER=auto or cpu.");
                if (probe(ExecutionProvider.Cuda) is { } cudaMissing)
                    throw new ExecutionProviderException($"IMAGEEMBED_EXECUTION_PROVIDER=cuda, but CUDA cannot run here: {cudaMissing} Set IMAGEEMBED_EXECUTION_PROVIDER=auto or cpu to run on the CPU.");
                return new(ExecutionProvider.Cuda, "cuda (IMAGEEMBED_EXECUTION_PROVIDER=cuda)");
            case "coreml":
                if (!available.Contains(CoreMlName))
                    throw new ExecutionProviderException($"IMAGEEMBED_EXECUTION_PROVIDER=coreml, but this build's ONNX Runtime has no Core ML provider (it has {string.Join(", ", available)}); Core ML is in the macOS builds (osx-arm64). Set IMAGEEMBED_EXECUTION_PROVIDER=auto or cpu.");
                return new(ExecutionProvider.CoreMl, "coreml (IMAGEEMBED_EXECUTION_PROVIDER=coreml)");
            case "auto":
                if (!available.Contains(CudaName))
                    return new(ExecutionProvider.Cpu, "auto: CPU (this build's ONNX Runtime has no CUDA provider)");
                return probe(ExecutionProvider.Cuda) is { } missing
                    ? new(ExecutionProvider.Cpu, $"auto: CPU, because CUDA cannot run here: {missing}")
                    : new(ExecutionProvider.Cuda, "auto: CUDA");
            default:
                // The options validator refuses other values first; this guards callers that skip it.
                throw new ExecutionProviderException($"IMAGEEMBED_EXECUTION_PROVIDER must be auto, cpu, cuda or coreml (was '{setting}').");
        }
    }

    /// <summary>Null when <paramref name="provider"/> can run on this host; otherwise what is missing, with the native message.</summary>
    private static string? Probe(ExecutionProvider provider, int cudaDevice)
    {
        if (provider != ExecutionProvider.Cuda) return null;
        try
        {
            // Loads libonnxruntime_providers_cuda, which needs the CUDA runtime, cuBLAS and cuDNN: a missing one is named here.
            using var options = new SessionOptions();
            options.AppendExecutionProvider_CUDA(cudaDevice);
        }
        catch (OnnxRuntimeException e)
        {
            return $"ONNX Runtime could not load its CUDA provider ({e.Message.Trim()}).";
        }
        return CudaDevices(cudaDevice);
    }

    private delegate int CudaGetDeviceCount(out int count);

    // The libraries load without a GPU; ask the CUDA runtime (loaded by the provider above) whether there is one.
    private static string? CudaDevices(int device)
    {
        if (!NativeLibrary.TryLoad("libcudart.so.12", out IntPtr runtime) && !NativeLibrary.TryLoad("cudart64_12.dll", out runtime))
            return "the CUDA 12 runtime (libcudart.so.12) is not on the library path.";
        if (!NativeLibrary.TryGetExport(runtime, "cudaGetDeviceCount", out IntPtr export))
            return "the CUDA runtime lacks cudaGetDeviceCount.";
        int error = Marshal.GetDelegateForFunctionPointer<CudaGetDeviceCount>(export)(out int count);
        if (error != 0) return $"the CUDA runtime found no usable GPU (cudaGetDeviceCount error {error}: is the NVIDIA driver loaded and the GPU visible to this process?).";
        return device < count ? null : $"GPU {device} was asked for (IMAGEEMBED_CUDA_DEVICE) but the CUDA runtime sees {count}.";
    }
}
