using ImageEmbed.Models.Execution;
using Microsoft.ML.OnnxRuntime;

namespace ImageEmbed.Models.Onnx;

/// <summary>How an <see cref="OrtSession"/> is created.</summary>
public sealed record OrtSessionSettings
{
    /// <summary>Threads one <c>Run</c> may use inside an operator. 0 = ONNX Runtime's default (one per physical core).</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>Threads for running independent graph branches in parallel. 0 = default; only used with parallel execution.</summary>
    public int InterOpThreads { get; init; }

    /// <summary>Graph optimization level. Defaults to all optimizations.</summary>
    public GraphOptimizationLevel OptimizationLevel { get; init; } = GraphOptimizationLevel.ORT_ENABLE_ALL;

    /// <summary>
    /// Keep ONNX Runtime's CPU arena. Defaults to true: it is faster, and shapes are fixed per batch size,
    /// so the arena does not grow without bound.
    /// </summary>
    public bool CpuMemArena { get; init; } = true;

    /// <summary>
    /// Let ONNX Runtime's intra-op threads spin while waiting for work (<c>session.intra_op.allow_spinning</c>).
    /// Defaults to false: spinning threads burn the cores that decoding and HTTP need between runs, which
    /// costs far more throughput than the wake-up latency it saves when the machine is shared (docs/BENCHMARKS.md).
    /// </summary>
    public bool AllowSpinning { get; init; }

    /// <summary>Where the session runs. Defaults to the CPU; ONNX Runtime runs what another provider lacks on the CPU.</summary>
    public ExecutionProvider Provider { get; init; }

    /// <summary>The GPU index, for CUDA.</summary>
    public int Device { get; init; }

    /// <summary>The package's session options for these settings; the caller disposes them.</summary>
    internal SessionOptions ToSessionOptions()
    {
        var options = new SessionOptions();
        try
        {
            if (IntraOpThreads > 0) options.IntraOpNumThreads = IntraOpThreads;
            if (InterOpThreads > 0) options.InterOpNumThreads = InterOpThreads;
            options.GraphOptimizationLevel = OptimizationLevel;
            options.EnableCpuMemArena = CpuMemArena;
            options.AddSessionConfigEntry("session.intra_op.allow_spinning", AllowSpinning ? "1" : "0");
            switch (Provider)
            {
                case ExecutionProvider.Cuda:
                    options.AppendExecutionProvider_CUDA(Device);
                    break;
                case ExecutionProvider.CoreMl:
                    options.AppendExecutionProvider_CoreML(CoreMLFlags.COREML_FLAG_USE_NONE);
                    break;
            }
            return options;
        }
        catch
        {
            options.Dispose();
            throw;
        }
    }
}
