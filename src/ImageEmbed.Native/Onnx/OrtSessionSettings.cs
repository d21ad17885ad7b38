namespace ImageEmbed.Native.Onnx;

/// <summary>How an <see cref="OrtSession"/> is created.</summary>
public sealed record OrtSessionSettings
{
    /// <summary>Threads one <c>Run</c> may use inside an operator. 0 = ONNX Runtime's default (one per physical core).</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>Threads for running independent graph branches in parallel. 0 = default; only used with parallel execution.</summary>
    public int InterOpThreads { get; init; }

    /// <summary>Graph optimization level. Defaults to <see cref="OrtGraphOptimizationLevel.All"/>.</summary>
    public OrtGraphOptimizationLevel OptimizationLevel { get; init; } = OrtGraphOptimizationLevel.All;

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
}
