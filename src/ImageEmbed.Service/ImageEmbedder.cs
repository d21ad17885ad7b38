using System.Diagnostics;
using ImageEmbed.Imaging;
using ImageEmbed.Imaging.Fingerprint;
using ImageEmbed.Imaging.Intake;
using ImageEmbed.Models;
using ImageEmbed.Service.Metrics;
using ImageEmbed.Storage.Content;

namespace ImageEmbed.Service;

/// <summary>Request-side pipeline: resolve the model, read the image (URL or data URI), embed it, record stage timings.</summary>
internal sealed partial class ImageEmbedder(EmbeddingEngine engine, ImageSourceReader reader, ServiceMetrics metrics,
    ImageFingerprinter fingerprinter, ContentCache cache, ImagingOptions imaging, ILogger<ImageEmbedder> logger)
{
    private readonly CachedImageEmbedder _cached = new(engine, fingerprinter, cache, imaging.DecodeConcurrency, e => Log.CacheFailed(logger, e.Message));

    public EmbeddingEngine Engine => engine;

    /// <summary>Embeds an image named by a URL or data URI. The model is resolved first, so a bad model name costs no download.</summary>
    public async Task<ImageEmbedding> EmbedReferenceAsync(string reference, string? model, CancellationToken ct)
    {
        await engine.LoadAsync(model).ConfigureAwait(false);
        ReadOnlyMemory<byte> bytes = await ReadAsync(reference, ct).ConfigureAwait(false);
        return await EmbedBytesAsync(bytes, model, ct).ConfigureAwait(false);
    }

    public async Task<ImageEmbedding> EmbedBytesAsync(ReadOnlyMemory<byte> bytes, string? model, CancellationToken ct)
    {
        ImageEmbedding embedding = await engine.EmbedImageAsync(bytes, model, ct).ConfigureAwait(false);
        metrics.ObserveEmbedding(embedding.Timings);
        return embedding;
    }

    /// <summary>
    /// Embeds and fingerprints an image for a collection through the content cache: bytes seen before are
    /// neither embedded nor decoded again (<see cref="CachedImageEmbedder"/>).
    /// </summary>
    public async Task<IndexedImage> EmbedForCollectionAsync(string reference, string? model, CancellationToken ct)
    {
        await engine.LoadAsync(model).ConfigureAwait(false);
        ReadOnlyMemory<byte> bytes = await ReadAsync(reference, ct).ConfigureAwait(false);
        IndexedImage image = await _cached.EmbedAsync(bytes, model, ct).ConfigureAwait(false);
        if (!image.EmbeddingCached) metrics.ObserveEmbedding(image.Embedding.Timings);
        return image;
    }

    private async Task<ReadOnlyMemory<byte>> ReadAsync(string reference, CancellationToken ct)
    {
        long start = Stopwatch.GetTimestamp();
        ReadOnlyMemory<byte> bytes = await reader.ReadAsync(reference, ct).ConfigureAwait(false);
        if (!DataUri.IsDataUri(reference)) metrics.ObserveStage(Stage.Fetch, Stopwatch.GetElapsedTime(start));
        return bytes;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 40, Level = LogLevel.Warning, Message = "Content cache unavailable, continuing without it: {Reason}")]
        public static partial void CacheFailed(ILogger logger, string reason);
    }
}
