using ImageEmbed.Models.Execution;
using ImageEmbed.ModelTools.Install;
using ImageEmbed.Models;
using ImageEmbed.Models.Catalog;

namespace ImageEmbed.Service.Hosting;

/// <summary>
/// Loads the default model when the service starts (so the first request does not pay for it) and
/// says plainly which model serves. <c>/readyz</c> stays unready until this has finished.
/// On shutdown the host disposes the <see cref="EmbeddingEngine"/>, which drains queued work before
/// freeing the sessions.
/// </summary>
internal sealed partial class ModelWarmupService(EmbeddingEngine engine, ModelsOptions options, ILogger<ModelWarmupService> logger) : BackgroundService
{
    private volatile bool _ready;
    private volatile string? _failure;

    public bool IsReady => _ready;

    /// <summary>
    /// Whether <paramref name="unknown"/> only means "not yet": the default model is still being installed or
    /// loaded (neither ready nor failed) and the request asked for it. Any other unknown name is unknown.
    /// </summary>
    public bool IsStillInstalling(UnknownModelException unknown) =>
        !_ready && _failure is null && unknown.Model == engine.Registry.ResolveName(null);

    /// <summary>Why the default model could not be loaded, when it could not.</summary>
    public string? Failure => _failure;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await ModelBootstrapper.EnsureInstalledAsync(engine.Registry, options, message => Log.Bootstrap(logger, message), stoppingToken);
            LoadedModel model = await engine.LoadAsync(null).WaitAsync(stoppingToken);
            Log.Serving(logger, model.Name, model.Dimensions, engine.Provider.Provider, model.Batcher.MaxBatchSize, model.Batcher.Runners, engine.Registry.ModelsDirectory);
            if (model.Manifest.Text is null) Log.NoTextModel(logger, model.Name);
            _ready = true;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            _failure = e.Message;
            Log.LoadFailed(logger, e.Message);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(10, LogLevel.Information, "Serving model '{Model}' ({Dimensions}-d, on {Provider}, batches of up to {BatchSize}, {Runners} at once) from {Directory}")]
        public static partial void Serving(ILogger logger, string model, int dimensions, ExecutionProvider provider, int batchSize, int runners, string directory);

        [LoggerMessage(11, LogLevel.Warning, "Model '{Model}' is image-only: text embeddings and text search need a CLIP-family model (see 'imageembed models list').")]
        public static partial void NoTextModel(ILogger logger, string model);

        [LoggerMessage(13, LogLevel.Warning, "{Message}")]
        public static partial void Bootstrap(ILogger logger, string message);

        [LoggerMessage(12, LogLevel.Error, "The default model could not be loaded: {Message}")]
        public static partial void LoadFailed(ILogger logger, string message);
    }
}
