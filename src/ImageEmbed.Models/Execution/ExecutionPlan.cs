using ImageEmbed.Imaging;
using ImageEmbed.Models.Onnx;

namespace ImageEmbed.Models.Execution;

/// <summary>
/// How models run on the chosen provider: the settings as given, with each automatic one (0) filled in for that
/// provider. The CPU shares its cores between inference and decoding; a GPU takes inference off the cores, so it
/// gets larger batches, two in flight to keep it busy while the next is prepared, one CPU thread each (only the
/// operators the GPU lacks run there), and every core decoding.
/// </summary>
public sealed record ExecutionPlan
{
    /// <summary>The largest batch the automatic batch size tries on the CPU (measured in docs/BENCHMARKS.md).</summary>
    public const int CpuAutomaticBatchSize = 8;

    /// <summary>The automatic batch size on a GPU: large enough to fill it for these encoders, small enough to keep latency low.</summary>
    public const int GpuAutomaticBatchSize = 32;

    public required ExecutionProvider Provider { get; init; }

    /// <summary>The GPU (<see cref="ModelsOptions.CudaDevice"/>) when <see cref="Provider"/> is CUDA.</summary>
    public int Device { get; init; }

    /// <summary>The most images per run: the setting, or the largest batch the automatic choice tries.</summary>
    public required int MaxBatchSize { get; init; }

    /// <summary>Whether each model is timed at load to choose its batch size up to <see cref="MaxBatchSize"/> (the automatic setting).</summary>
    public required bool CalibrateBatchSize { get; init; }

    /// <summary>Batches of one model run at once.</summary>
    public required int ParallelBatches { get; init; }

    /// <summary>ONNX Runtime's CPU threads per batch.</summary>
    public required int IntraOpThreads { get; init; }

    /// <summary>Images decoded at once.</summary>
    public required int DecodeConcurrency { get; init; }

    public bool AllowSpinning { get; init; }

    /// <summary>The plan for <paramref name="provider"/> on a machine with <paramref name="cores"/> cores (default: this one).</summary>
    public static ExecutionPlan For(ExecutionProvider provider, ModelsOptions models, ImagingOptions imaging, int? cores = null)
    {
        int n = cores ?? Environment.ProcessorCount;
        bool cpu = provider == ExecutionProvider.Cpu;
        // CPU: two half-width runs beat one full-width run (ModelsOptions.ParallelBatches); GPU: two keep it fed.
        int parallel = models.ParallelBatches > 0 ? models.ParallelBatches : Math.Min(2, n);
        return new ExecutionPlan
        {
            Provider = provider,
            Device = provider == ExecutionProvider.Cuda ? models.CudaDevice : 0,
            MaxBatchSize = models.MaxBatchSize > 0 ? models.MaxBatchSize : cpu ? CpuAutomaticBatchSize : GpuAutomaticBatchSize,
            CalibrateBatchSize = models.MaxBatchSize == 0,
            ParallelBatches = parallel,
            IntraOpThreads = models.IntraOpThreads > 0 ? models.IntraOpThreads : cpu ? Math.Max(1, n / parallel) : 1,
            DecodeConcurrency = imaging.DecodeConcurrency > 0 ? imaging.DecodeConcurrency : n,
            AllowSpinning = models.IntraOpSpinning,
        };
    }

    /// <summary>The CPU plan for <paramref name="models"/>: what tools that always run on the CPU (quantization checks) use.</summary>
    public static ExecutionPlan Cpu(ModelsOptions models) => For(ExecutionProvider.Cpu, models, new ImagingOptions());

    /// <summary>The ONNX Runtime session settings for this plan.</summary>
    public OrtSessionSettings SessionSettings() => new() { IntraOpThreads = IntraOpThreads, AllowSpinning = AllowSpinning, Provider = Provider, Device = Device };

    /// <summary>
    /// Images a bulk caller (the CLI's embed and bench) keeps in flight: more than cores, because decoding is bounded
    /// inside the engine and the surplus keeps batches full while earlier images run. A loaded model knows its own
    /// batch size (<see cref="LoadedModel.BulkConcurrency"/>); before that this assumes the largest.
    /// </summary>
    public int BulkConcurrency => BulkConcurrencyFor(MaxBatchSize, ParallelBatches);

    // Enough to fill every running batch and the next one, plus one decode per decoder.
    internal int BulkConcurrencyFor(int batchSize, int runners) => (runners + 1) * batchSize + DecodeConcurrency;
}
