using System.Diagnostics;
using System.Collections.Concurrent;
using ImageEmbed.Imaging;
using ImageEmbed.Imaging.Decode;
using ImageEmbed.Imaging.Preprocess;
using ImageEmbed.Models.Batching;
using ImageEmbed.Models.Catalog;
using ImageEmbed.Models.Execution;
using ImageEmbed.Models.Sessions;
using ImageEmbed.Models.Onnx;

namespace ImageEmbed.Models;

/// <summary>
/// The embedding pipeline shared by the CLI and the service: bytes → decode/preprocess on the
/// caller's thread → micro-batched inference → unit vector. Models load on first use (or through
/// <see cref="LoadAsync"/>) and stay loaded. Thread-safe; one per process.
/// </summary>
public sealed class EmbeddingEngine : IAsyncDisposable
{
    private readonly ModelsOptions _options;
    private readonly CalibrationMemo? _calibration;
    private readonly SemaphoreSlim _decodeSlots;
    private readonly long[] _decodeStartedAt; // per decode slot: Stopwatch timestamp while it decodes, 0 while free
    private long _lastDoneAt;
    private double _secondsPerImageDone; // recent time between finished images while busy (moving average): the drain rate
    private readonly ConcurrentDictionary<string, Lazy<Task<LoadedModel>>> _loaded = new(StringComparer.Ordinal);

    /// <param name="models">Validated settings (the configuration checks them once, on start).</param>
    /// <param name="imaging">Validated settings.</param>
    /// <param name="stateDirectory">
    /// Where the engine may remember measurements across restarts (the data folder); null = measure every time.
    /// </param>
    /// <exception cref="ExecutionProviderException">The execution provider the settings name cannot run here.</exception>
    public EmbeddingEngine(ModelsOptions models, ImagingOptions imaging, string? stateDirectory = null)
    {
        _calibration = stateDirectory is null ? null : new CalibrationMemo(Path.Combine(stateDirectory, CalibrationMemo.FileName));
        _options = models;
        Provider = ExecutionProviders.Resolve(models.ExecutionProvider, models.CudaDevice);
        Plan = ExecutionPlan.For(Provider.Provider, models, imaging);
        Registry = new ModelRegistry(models);
        Preprocessor = new ImagePreprocessor(new ImageDecoder(imaging));
        _decodeSlots = new SemaphoreSlim(Plan.DecodeConcurrency, Plan.DecodeConcurrency);
        _decodeStartedAt = new long[Plan.DecodeConcurrency];
        Admission = new ImageAdmission(models.QueueCapacity, DrainEstimate);
    }

    /// <summary>
    /// The images in flight across requests (<see cref="ModelsOptions.QueueCapacity"/>): callers admit a request's images
    /// before reading them.
    /// </summary>
    public ImageAdmission Admission { get; }

    /// <summary>The execution provider chosen at start, and why.</summary>
    public ProviderChoice Provider { get; }

    /// <summary>Batch sizes, threads and decoders for that provider.</summary>
    public ExecutionPlan Plan { get; }

    public ModelRegistry Registry { get; }
    public ImagePreprocessor Preprocessor { get; }

    /// <summary>Models loaded so far.</summary>
    public IEnumerable<LoadedModel> Loaded =>
        _loaded.Values.Where(l => l.IsValueCreated && l.Value.IsCompletedSuccessfully).Select(l => l.Value.Result);

    /// <summary>Loads a model (or returns it if loaded). A failed load is not cached: the next call tries again.</summary>
    /// <exception cref="UnknownModelException">No such model is installed.</exception>
    /// <exception cref="ModelLoadException">It is installed but cannot be loaded.</exception>
    public Task<LoadedModel> LoadAsync(string? model)
    {
        string name = Registry.ResolveName(model);
        if (_loaded.TryGetValue(name, out Lazy<Task<LoadedModel>>? existing)) return existing.Value;
        Lazy<Task<LoadedModel>> created = null!;
        created = new Lazy<Task<LoadedModel>>(() =>
        {
            Task<LoadedModel> load = Task.Run(() => Open(name));
            // Forget a failed load whenever it fails (only this attempt's entry), so the next request retries.
            load.ContinueWith(_ => _loaded.TryRemove(KeyValuePair.Create(name, created)), CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            return load;
        });
        return _loaded.GetOrAdd(name, created).Value;
    }

    /// <summary>Embeds one encoded image with <paramref name="model"/> (null or <c>default</c> = the default model).</summary>
    /// <exception cref="UnknownModelException">No such model.</exception>
    /// <exception cref="ImageDecodeException">The bytes are not a usable image.</exception>
    /// <exception cref="OverloadedException">Too many images are waiting.</exception>
    public async Task<ImageEmbedding> EmbedImageAsync(ReadOnlyMemory<byte> encoded, string? model, CancellationToken cancellationToken = default) =>
        await EmbedImageAsync(await LoadAsync(model).ConfigureAwait(false), encoded, cancellationToken).ConfigureAwait(false);

    /// <summary>Embeds one encoded image with a model the caller resolved (once per request, through <see cref="LoadAsync"/>).</summary>
    /// <exception cref="ImageDecodeException">The bytes are not a usable image.</exception>
    /// <exception cref="OverloadedException">Too many images are waiting.</exception>
    public Task<ImageEmbedding> EmbedImageAsync(LoadedModel model, ReadOnlyMemory<byte> encoded, CancellationToken cancellationToken = default) =>
        EmbedPreprocessedAsync(model, recipe => Preprocessor.Preprocess(encoded.Span, recipe), cancellationToken);

    /// <summary>
    /// Embeds the image <paramref name="preprocess"/> makes for the model's recipe, for callers that want more from the
    /// same decode (the ingest path also takes the fingerprint, through
    /// <see cref="ImagePreprocessor.PreprocessWithFingerprint"/>). <paramref name="preprocess"/> runs on the caller's
    /// thread within <see cref="ImagingOptions.DecodeConcurrency"/>, like every decode of the engine; the engine owns
    /// and disposes the image it returns.
    /// </summary>
    /// <exception cref="ImageDecodeException">The bytes are not a usable image.</exception>
    /// <exception cref="OverloadedException">Too many images are waiting.</exception>
    public async Task<ImageEmbedding> EmbedPreprocessedAsync(LoadedModel model, Func<ImagePreprocessing, PreprocessedImage> preprocess, CancellationToken cancellationToken = default)
    {
        // Decoding is CPU-bound: bound how many run at once, so that many concurrent callers queue
        // here instead of all competing for the cores that inference also needs.
        await _decodeSlots.WaitAsync(cancellationToken).ConfigureAwait(false);
        int slot = ClaimDecodeSlot();
        PreprocessedImage image;
        try
        {
            image = preprocess(model.Encoder.Preprocessing);
        }
        finally
        {
            Volatile.Write(ref _decodeStartedAt[slot], 0);
            _decodeSlots.Release();
        }
        (TimeSpan decode, TimeSpan preprocessing) = (image.DecodeTime, image.TensorTime);
        BatchedEmbedding result = await model.Batcher.EmbedAsync(image, cancellationToken).ConfigureAwait(false);
        SampleDrainRate();
        return new ImageEmbedding(model.Name, result.Vector, new EmbeddingTimings(decode, preprocessing, result.QueueTime, result.InferenceTime, result.BatchSize), model.Space);
    }

    /// <summary>Embeds texts with a CLIP-family model, in one run so they share the batch.</summary>
    /// <exception cref="UnknownModelException">No such model.</exception>
    /// <exception cref="UnsupportedModalityException">The model is image-only.</exception>
    public async Task<TextEmbeddings> EmbedTextsAsync(IReadOnlyList<string> texts, string? model, CancellationToken cancellationToken = default) =>
        await EmbedTextsAsync(await LoadAsync(model).ConfigureAwait(false), texts, cancellationToken).ConfigureAwait(false);

    /// <summary>Embeds texts with a model the caller resolved, in one run so they share the batch.</summary>
    /// <exception cref="UnsupportedModalityException">The model is image-only.</exception>
    public async Task<TextEmbeddings> EmbedTextsAsync(LoadedModel model, IReadOnlyList<string> texts, CancellationToken cancellationToken = default)
    {
        TextEncoder encoder = model.RequireText("embed text");
        // Inference is CPU-bound: keep it off the caller's (request) thread.
        (float[][] vectors, int tokens) = await Task.Run(() => (encoder.Encode(texts, out int t, cancellationToken), t), cancellationToken).ConfigureAwait(false);
        return new TextEmbeddings(model.Name, vectors, tokens, model.Space);
    }

    /// <summary>
    /// How many decoders have been on their current image for longer than <paramref name="busyFor"/>: when it is all of
    /// them, every image waits behind images that cost far more than photos do (what readiness reports).
    /// </summary>
    public int DecodersBusyLongerThan(TimeSpan busyFor)
    {
        int busy = 0;
        for (int i = 0; i < _decodeStartedAt.Length; i++)
        {
            long started = Volatile.Read(ref _decodeStartedAt[i]);
            if (started != 0 && Stopwatch.GetElapsedTime(started) >= busyFor) busy++;
        }
        return busy;
    }

    /// <summary>A free entry of <see cref="_decodeStartedAt"/>; the semaphore lets in no more holders than there are entries.</summary>
    private int ClaimDecodeSlot()
    {
        long now = Stopwatch.GetTimestamp();
        while (true)
        {
            for (int i = 0; i < _decodeStartedAt.Length; i++)
                if (Interlocked.CompareExchange(ref _decodeStartedAt[i], now, 0) == 0) return i;
        }
    }

    /// <summary>
    /// Times the gap since the previous finished image while more are in flight: whatever the slower stage (decoding or
    /// inference) and however contended the cores, that is the rate at which admitted images leave.
    /// </summary>
    private void SampleDrainRate()
    {
        long now = Stopwatch.GetTimestamp(), previous = Interlocked.Exchange(ref _lastDoneAt, now);
        if (previous == 0 || Admission.InFlight <= 1) return;
        double gap = Stopwatch.GetElapsedTime(previous, now).TotalSeconds, before = Volatile.Read(ref _secondsPerImageDone);
        Volatile.Write(ref _secondsPerImageDone, before == 0 ? gap : 0.95 * before + 0.05 * gap); // a lost race only skips one sample
    }

    /// <summary>About how long <paramref name="images"/> in flight take to finish, at the recent drain rate; at least 1 s.</summary>
    private TimeSpan DrainEstimate(int images) =>
        TimeSpan.FromSeconds(Math.Max(1, Math.Ceiling(images * Volatile.Read(ref _secondsPerImageDone))));

    public async ValueTask DisposeAsync()
    {
        foreach (LoadedModel model in Loaded.ToArray()) await model.DisposeAsync().ConfigureAwait(false);
        _loaded.Clear();
    }

    private LoadedModel Open(string name)
    {
        InstalledModel installed = Registry.Find(name);
        OrtSessionSettings settings = Plan.SessionSettings();
        var encoder = new ImageEncoder(installed, settings, _options.VerifyChecksums);
        TextEncoder? text = null;
        try
        {
            int batchSize = Plan.MaxBatchSize;
            if (Plan.CalibrateBatchSize)
            {
                bool measured = true;
                batchSize = _calibration?.Choose(encoder, Plan, out measured) ?? BatchSizeCalibration.Choose(encoder, Plan.MaxBatchSize);
                if (measured && batchSize < Plan.MaxBatchSize)
                {
                    // ONNX Runtime's arena keeps what the timing's larger batch took (mobilenet-v2-140: ~170 MB) for the
                    // session's life; a fresh session serving single images never takes it.
                    encoder.Dispose();
                    encoder = new ImageEncoder(installed, settings, _options.VerifyChecksums);
                }
            }
            if (installed.Manifest.Text is not null) text = new TextEncoder(installed, settings);
            var batcher = new MicroBatcher(encoder, batchSize, TimeSpan.FromMilliseconds(_options.MaxBatchDelayMs), _options.QueueCapacity, Plan.ParallelBatches);
            return new LoadedModel(encoder, batcher, text, EmbeddingSpace.Compute(installed), Plan);
        }
        catch
        {
            text?.Dispose();
            encoder.Dispose();
            throw;
        }
    }
}
