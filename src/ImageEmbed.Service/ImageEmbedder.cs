using System.Diagnostics;
using ImageEmbed.Imaging;
using ImageEmbed.Imaging.Fingerprint;
using ImageEmbed.Imaging.Intake;
using ImageEmbed.Models;
using ImageEmbed.Native.Sqlite;
using ImageEmbed.Service.Metrics;
using ImageEmbed.Storage.Content;

namespace ImageEmbed.Service;

/// <summary>Request-side pipeline: resolve the model, read the image (URL or data URI), embed it, record stage timings.</summary>
internal sealed partial class ImageEmbedder(EmbeddingEngine engine, ImageSourceReader reader, ServiceMetrics metrics,
    ImageFingerprinter fingerprinter, ContentCache cache, ImagingOptions imaging, ILogger<ImageEmbedder> logger)
{
    // Fingerprinting is a second decode of the image: bounded like the engine's decodes, so a large upsert
    // batch queues here instead of decoding hundreds of images at once.
    private readonly SemaphoreSlim _fingerprintSlots = new(imaging.DecodeConcurrency > 0 ? imaging.DecodeConcurrency : Environment.ProcessorCount);

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
    /// Embeds and fingerprints an image for a collection. Both come from the <see cref="ContentCache"/> when
    /// these exact bytes were seen before (the embedding only in the same embedding space, bit-identical),
    /// so re-adding an image costs a hash and two lookups; otherwise they are computed and cached.
    /// </summary>
    public async Task<(ImageEmbedding Embedding, ImageFingerprint Fingerprint)> EmbedForCollectionAsync(string reference, string? model, CancellationToken ct)
    {
        LoadedModel loaded = await engine.LoadAsync(model).ConfigureAwait(false);
        ReadOnlyMemory<byte> bytes = await ReadAsync(reference, ct).ConfigureAwait(false);
        string hash = ContentHash.Of(bytes.Span);

        ImageEmbedding embedding;
        if (FromCache(() => cache.GetEmbedding(loaded.Space, hash)) is { } vector && vector.Length == loaded.Dimensions)
        {
            embedding = new ImageEmbedding(loaded.Name, vector, default, loaded.Space);
        }
        else
        {
            embedding = await EmbedBytesAsync(bytes, loaded.Name, ct).ConfigureAwait(false);
            ToCache(() => cache.PutEmbedding(embedding.Space, hash, embedding.Vector));
        }

        ImageFingerprint? fingerprint = FromCache(() => cache.GetFingerprint(hash));
        if (fingerprint is null)
        {
            await _fingerprintSlots.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                fingerprint = await Task.Run(() => fingerprinter.Compute(bytes.Span), ct).ConfigureAwait(false);
            }
            finally
            {
                _fingerprintSlots.Release();
            }
            ImageFingerprint computed = fingerprint;
            ToCache(() => cache.PutFingerprint(computed));
        }
        return (embedding, fingerprint);
    }

    private async Task<ReadOnlyMemory<byte>> ReadAsync(string reference, CancellationToken ct)
    {
        long start = Stopwatch.GetTimestamp();
        ReadOnlyMemory<byte> bytes = await reader.ReadAsync(reference, ct).ConfigureAwait(false);
        if (!DataUri.IsDataUri(reference)) metrics.ObserveStage(Stage.Fetch, Stopwatch.GetElapsedTime(start));
        return bytes;
    }

    /// <summary>A cache that fails (disk full, file damaged) costs work, never a request: the failure is logged and treated as a miss.</summary>
    private T? FromCache<T>(Func<T?> read) where T : class
    {
        try
        {
            return read();
        }
        catch (SqliteException e)
        {
            Log.CacheFailed(logger, e.Message);
            return null;
        }
    }

    private void ToCache(Action write) => FromCache(() => { write(); return ""; });

    private static partial class Log
    {
        [LoggerMessage(EventId = 40, Level = LogLevel.Warning, Message = "Content cache unavailable, continuing without it: {Reason}")]
        public static partial void CacheFailed(ILogger logger, string reason);
    }
}
