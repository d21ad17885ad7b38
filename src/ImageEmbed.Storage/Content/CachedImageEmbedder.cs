using ImageEmbed.Imaging.Fingerprint;
using ImageEmbed.Models;
using ImageEmbed.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace ImageEmbed.Storage.Content;

/// <summary>An image's embedding and fingerprint, and whether the embedding came from the cache (no inference ran).</summary>
public sealed record IndexedImage(ImageEmbedding Embedding, ImageFingerprint Fingerprint, bool EmbeddingCached);

/// <summary>
/// Embeds and fingerprints images through the <see cref="ContentCache"/>, for the service and the CLI alike.
/// When these exact bytes were seen before, the embedding comes from the cache (only in the same embedding
/// space, bit-identical) and so does the fingerprint. Adding an image again then costs a SHA-256 and two
/// lookups. Otherwise both are computed and cached; when neither is cached, from one decode (the engine's
/// <see cref="Imaging.ImagingOptions"/> then apply to both). Thread-safe.
/// </summary>
/// <param name="fingerprintConcurrency">Fingerprints computed at once (each is a decode); 0 = one per core.</param>
/// <param name="cacheFailed">
/// Told about a cache that fails (disk full, file damaged). The failure costs work, never the image:
/// it counts as a miss, or the write is skipped.
/// </param>
public sealed class CachedImageEmbedder(EmbeddingEngine engine, ImageFingerprinter fingerprinter, ContentCache cache,
    int fingerprintConcurrency = 0, Action<SqliteException>? cacheFailed = null)
{
    // Fingerprinting alone (the embedding was cached) is a decode of the image: bounded like the engine's
    // decodes, so a large batch queues here instead of decoding hundreds of images at once.
    private readonly SemaphoreSlim _fingerprintSlots = new(fingerprintConcurrency > 0 ? fingerprintConcurrency : Environment.ProcessorCount);

    /// <summary>Embeds <paramref name="encoded"/> with <paramref name="model"/> (null = the default) and fingerprints it.</summary>
    /// <exception cref="Models.Catalog.UnknownModelException">No such model.</exception>
    /// <exception cref="Imaging.Decode.ImageDecodeException">The bytes are not a usable image.</exception>
    /// <exception cref="Models.Batching.OverloadedException">Too many images are waiting.</exception>
    public async Task<IndexedImage> EmbedAsync(ReadOnlyMemory<byte> encoded, string? model, CancellationToken ct = default)
    {
        LoadedModel loaded = await engine.LoadAsync(model).ConfigureAwait(false);
        string hash = ContentHash.Of(encoded.Span);
        float[]? vector = FromCache(() => cache.GetEmbedding(loaded.Space, hash));
        bool cached = vector is not null && vector.Length == loaded.Dimensions;
        ImageFingerprint? fingerprint = FromCache(() => cache.GetFingerprint(hash));
        bool fingerprintCached = fingerprint is not null;

        ImageEmbedding embedding;
        if (cached)
        {
            embedding = new ImageEmbedding(loaded.Name, vector!, default, loaded.Space);
        }
        else if (fingerprint is null)
        {
            // A new image: one decode makes both the model's pixels and the fingerprint (a second decode was a third
            // of the CPU per image), bounded by the engine's decode slots.
            ImageFingerprint? made = null;
            embedding = await engine.EmbedPreprocessedAsync(loaded.Name,
                recipe => engine.Preprocessor.PreprocessWithFingerprint(encoded.Span, recipe, out made), ct).ConfigureAwait(false);
            fingerprint = made!;
        }
        else
        {
            embedding = await engine.EmbedImageAsync(encoded, loaded.Name, ct).ConfigureAwait(false);
        }
        if (!cached)
        {
            ImageEmbedding computed = embedding;
            ToCache(() => cache.PutEmbedding(computed.Space, hash, computed.Vector));
        }

        if (fingerprint is null)
        {
            await _fingerprintSlots.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                fingerprint = await Task.Run(() => fingerprinter.Compute(encoded.Span), ct).ConfigureAwait(false);
            }
            finally
            {
                _fingerprintSlots.Release();
            }
        }
        if (!fingerprintCached)
        {
            ImageFingerprint computed = fingerprint;
            ToCache(() => cache.PutFingerprint(computed));
        }
        return new IndexedImage(embedding, fingerprint, cached);
    }

    private T? FromCache<T>(Func<T?> read) where T : class
    {
        try
        {
            return read();
        }
        catch (SqliteException e)
        {
            cacheFailed?.Invoke(e);
            return null;
        }
    }

    private void ToCache(Action write) => FromCache(() => { write(); return ""; });
}
