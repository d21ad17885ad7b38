using ImageEmbed.Imaging;
using ImageEmbed.Models.Execution;
using ImageEmbed.Tests;

namespace ImageEmbed.Models.Tests;

/// <summary>
/// Choosing where models run. No GPU is reachable from here: the rules are tested with the runtime's provider list
/// and a probe given as data (a fake standing in for a CUDA host), and the real runtime for what this machine is.
/// </summary>
public sealed class ExecutionProviderTests
{
    private static readonly string[] CpuBuild = ["CPUExecutionProvider"];
    private static readonly string[] GpuBuild = ["CUDAExecutionProvider", "CPUExecutionProvider"];
    private static readonly string[] MacBuild = ["CoreMLExecutionProvider", "CPUExecutionProvider"];

    private static string? Works(ExecutionProvider _) => null;
    private static string? NoCudnn(ExecutionProvider _) => "ONNX Runtime could not load its CUDA provider (libcudnn.so.9: cannot open shared object file).";

    [Fact]
    public void Cuda_OnACpuBuild_FailsNamingCudaTheBuildAndTheWayOut()
    {
        var e = Assert.Throws<ExecutionProviderException>(() => ExecutionProviders.Resolve("cuda", CpuBuild, Works));
        Assert.StartsWith("IMAGEEMBED_EXECUTION_PROVIDER=cuda, but this build's ONNX Runtime has no CUDA provider (it has CPUExecutionProvider).", e.Message, StringComparison.Ordinal);
        Assert.Contains("-p:ImageEmbedGpu=true", e.Message, StringComparison.Ordinal);
        Assert.EndsWith("Or set IMAGEEMBED_EXECUTION_PROVIDER=auto or cpu.", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cuda_OnAGpuBuildWithoutItsLibraries_FailsWithTheNativeMessage()
    {
        var e = Assert.Throws<ExecutionProviderException>(() => ExecutionProviders.Resolve("cuda", GpuBuild, NoCudnn));
        Assert.Equal("IMAGEEMBED_EXECUTION_PROVIDER=cuda, but CUDA cannot run here: ONNX Runtime could not load its CUDA provider (libcudnn.so.9: cannot open shared object file). Set IMAGEEMBED_EXECUTION_PROVIDER=auto or cpu to run on the CPU.", e.Message);
    }

    [Fact]
    public void Auto_TakesCudaWhereItRuns_AndOtherwiseTheCpuSayingWhy()
    {
        Assert.Equal(new ProviderChoice(ExecutionProvider.Cuda, "CUDA, GPU 1 (auto)."), ExecutionProviders.Resolve("auto", GpuBuild, Works, cudaDevice: 1));

        ProviderChoice noLibraries = ExecutionProviders.Resolve("auto", GpuBuild, NoCudnn);
        Assert.Equal(ExecutionProvider.Cpu, noLibraries.Provider);
        Assert.Contains("libcudnn.so.9", noLibraries.Reason, StringComparison.Ordinal);

        ProviderChoice cpuBuild = ExecutionProviders.Resolve("auto", CpuBuild, _ => throw new InvalidOperationException("a CPU build must not probe for CUDA"));
        Assert.Equal(new ProviderChoice(ExecutionProvider.Cpu, "CPU (auto: this build's ONNX Runtime has no CUDA provider)."), cpuBuild);

        // Core ML only when asked for: auto on a Mac stays on the CPU.
        Assert.Equal(ExecutionProvider.Cpu, ExecutionProviders.Resolve("auto", MacBuild, Works).Provider);
        Assert.Equal(ExecutionProvider.CoreMl, ExecutionProviders.Resolve("CoreML", MacBuild, Works).Provider);
        Assert.Contains("no Core ML provider", Assert.Throws<ExecutionProviderException>(() => ExecutionProviders.Resolve("coreml", CpuBuild, Works)).Message, StringComparison.Ordinal);
        Assert.Equal(ExecutionProvider.Cpu, ExecutionProviders.Resolve("cpu", GpuBuild, Works).Provider);
    }

    [Fact]
    public void ThisMachine_HasTheCpuBuild_SoAutoRunsOnTheCpuAndCudaFails()
    {
        // The standard package, as CI restores it: no CUDA provider compiled in.
        Assert.DoesNotContain("CUDAExecutionProvider", ExecutionProviders.Available);
        Assert.Equal(ExecutionProvider.Cpu, ExecutionProviders.Resolve("auto", 0).Provider);
        Assert.Contains("CUDA", Assert.Throws<ExecutionProviderException>(() => ExecutionProviders.Resolve("cuda", 0)).Message, StringComparison.Ordinal);
        Assert.Throws<ExecutionProviderException>(() => new EmbeddingEngine(new ModelsOptions { Directory = TestPaths.ModelsDir, ExecutionProvider = "cuda" }, new ImagingOptions()));
    }

    [Theory]
    [InlineData("gpu")]
    [InlineData("")]
    public void Options_UnknownProvider_NamesTheSettingAndTheChoices(string value)
    {
        string problem = Assert.Single(new ModelsOptions { Directory = "/models", ExecutionProvider = value }.Validate());
        Assert.Equal($"Models:ExecutionProvider must be auto, cpu, cuda or coreml (was '{value}').", problem);
    }

    [Fact]
    public void Plan_Cpu_SharesTheCoresBetweenParallelBatchesAndCalibratesUpTo8()
    {
        ExecutionPlan plan = ExecutionPlan.For(ExecutionProvider.Cpu, new ModelsOptions(), new ImagingOptions(), cores: 16);
        Assert.Equal((8, true, 2, 8, 16), (plan.MaxBatchSize, plan.CalibrateBatchSize, plan.ParallelBatches, plan.IntraOpThreads, plan.DecodeConcurrency));
        Assert.Equal(3 * 8 + 16, plan.BulkConcurrency);

        Assert.Equal((1, 1), Pair(ExecutionPlan.For(ExecutionProvider.Cpu, new ModelsOptions(), new ImagingOptions(), cores: 1)));
        Assert.Equal((1, 16), Pair(ExecutionPlan.For(ExecutionProvider.Cpu, new ModelsOptions { ParallelBatches = 1 }, new ImagingOptions(), cores: 16)));
        Assert.Equal((16, 1), Pair(ExecutionPlan.For(ExecutionProvider.Cpu, new ModelsOptions { ParallelBatches = 16 }, new ImagingOptions(), cores: 16)));
        Assert.Equal((16, 3), Pair(ExecutionPlan.For(ExecutionProvider.Cpu, new ModelsOptions { ParallelBatches = 16, IntraOpThreads = 3 }, new ImagingOptions(), cores: 16)));

        static (int, int) Pair(ExecutionPlan p) => (p.ParallelBatches, p.IntraOpThreads);
    }

    [Fact]
    public void Plan_Gpu_LargerBatchesOneCpuThreadEachAndEveryCoreDecoding_UnlessSet()
    {
        ExecutionPlan plan = ExecutionPlan.For(ExecutionProvider.Cuda, new ModelsOptions { CudaDevice = 1 }, new ImagingOptions(), cores: 16);
        Assert.Equal((32, true, 2, 1, 16, 1), (plan.MaxBatchSize, plan.CalibrateBatchSize, plan.ParallelBatches, plan.IntraOpThreads, plan.DecodeConcurrency, plan.Device));
        Assert.Equal((ExecutionProvider.Cuda, 1, 1), (plan.SessionSettings().Provider, plan.SessionSettings().Device, plan.SessionSettings().IntraOpThreads));

        ExecutionPlan set = ExecutionPlan.For(ExecutionProvider.Cuda, new ModelsOptions { MaxBatchSize = 64, ParallelBatches = 4, IntraOpThreads = 2 }, new ImagingOptions { DecodeConcurrency = 6 }, cores: 16);
        Assert.Equal((64, false, 4, 2, 6), (set.MaxBatchSize, set.CalibrateBatchSize, set.ParallelBatches, set.IntraOpThreads, set.DecodeConcurrency));
    }
}
