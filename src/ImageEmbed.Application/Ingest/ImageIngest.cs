using System.Diagnostics;
using System.Text.Json;
using ImageEmbed.Imaging;
using ImageEmbed.Imaging.Fingerprint;
using ImageEmbed.Imaging.Intake;
using ImageEmbed.Models;
using ImageEmbed.Storage;
using ImageEmbed.Storage.Content;
using System.Data.Common;
using ImageEmbed.Storage.PgVector;

namespace ImageEmbed.Application.Ingest;

/// <summary>
/// The one path an image takes into ImageEmbed, for every caller: the HTTP routes, the job runner, <c>imageembed index</c>.
/// <code>
/// read (URL / data URI / caller's bytes) → SHA-256 once → content cache → one decode (model pixels + fingerprint) → embed → item
/// </code>
/// The caller resolves the model once per request (<see cref="ModelAsync"/>) and passes the <see cref="LoadedModel"/>
/// down; the item carries the model's embedding space, which the store checks against the collection's
/// (<see cref="CollectionInfo.RequireSpace"/>, the one check). Thread-safe; one per process.
/// </summary>
/// <remarks>
/// When these exact bytes were seen before, the embedding comes from the cache (same embedding space only, bit-identical)
/// and so does the fingerprint: adding an image again costs its SHA-256 and two lookups. A cache that fails (disk full,
/// damaged file) costs work, never the image: it counts as a miss, or the write is skipped, and the observer is told.
/// </remarks>
public sealed class ImageIngest
{
    private readonly IContentCache _cache;
    private readonly ImageFingerprinter _fingerprinter;
    private readonly ImageSourceReader? _reader;
    private readonly IIngestObserver _observer;

    // Fingerprinting alone (the embedding was cached) is a decode: bounded like the engine's decodes, so a large batch
    // queues here instead of decoding hundreds of images at once.
    private readonly SemaphoreSlim _fingerprintSlots;

    /// <param name="reader">Reads URLs and data URIs; null where only bytes are given (then <see cref="ReadAsync"/> refuses).</param>
    public ImageIngest(EmbeddingEngine engine, IContentCache cache, ImagingOptions imaging, ImageSourceReader? reader = null, IIngestObserver? observer = null)
    {
        Engine = engine;
        _cache = cache;
        _fingerprinter = new ImageFingerprinter(imaging);
        _reader = reader;
        _observer = observer ?? IIngestObserver.None;
        _fingerprintSlots = new SemaphoreSlim(engine.Plan.DecodeConcurrency);
    }

    public EmbeddingEngine Engine { get; }

    /// <summary>Resolves and loads a model by name (null or <c>default</c>: the default model). Call once per request.</summary>
    /// <exception cref="Models.Catalog.UnknownModelException">No such model.</exception>
    /// <exception cref="Models.Catalog.ModelLoadException">It cannot be loaded.</exception>
    public Task<LoadedModel> ModelAsync(string? name) => Engine.LoadAsync(name);

    /// <summary>The collection's model, resolved once per request, whose current embedding space must still be the collection's.</summary>
    /// <exception cref="CollectionConflictException">The model's files or preprocessing changed since the collection was made.</exception>
    public async Task<LoadedModel> ModelForAsync(CollectionInfo collection)
    {
        LoadedModel model = await Engine.LoadAsync(collection.Model).ConfigureAwait(false);
        collection.RequireSpace(model.Space, $"model '{model.Name}' as installed now");
        return model;
    }

    /// <summary>The bytes an http(s) URL or data URI names, through the SSRF-safe fetcher and the byte cap.</summary>
    /// <exception cref="InvalidImageSourceException">Not a usable reference, or refused.</exception>
    /// <exception cref="ImagePayloadTooLargeException">Over the byte limit.</exception>
    /// <exception cref="ImageFetchException">The remote server failed.</exception>
    /// <exception cref="ImageFetchTimeoutException">The remote server was too slow.</exception>
    public async Task<ReadOnlyMemory<byte>> ReadAsync(string reference, CancellationToken ct)
    {
        if (_reader is null) throw new InvalidOperationException("This ingest path reads no URLs: it was made without an ImageSourceReader.");
        long start = Stopwatch.GetTimestamp();
        ReadOnlyMemory<byte> bytes = await _reader.ReadAsync(reference, ct).ConfigureAwait(false);
        if (!DataUri.IsDataUri(reference)) _observer.Fetched(Stopwatch.GetElapsedTime(start));
        return bytes;
    }

    /// <summary>An image's vector, not kept (a query, <c>/api/ai/embeddings</c>): no hash, no cache, no fingerprint.</summary>
    /// <exception cref="Imaging.Decode.ImageDecodeException">The bytes are not a usable image.</exception>
    /// <exception cref="Models.Batching.OverloadedException">Too many images are waiting.</exception>
    public async Task<ImageEmbedding> EmbedAsync(LoadedModel model, ReadOnlyMemory<byte> bytes, CancellationToken ct)
    {
        ImageEmbedding embedding = await Engine.EmbedImageAsync(model, bytes, ct).ConfigureAwait(false);
        _observer.Embedded(embedding.Timings);
        return embedding;
    }

    /// <summary><see cref="EmbedAsync(LoadedModel, ReadOnlyMemory{byte}, CancellationToken)"/> of what a URL or data URI names.</summary>
    public async Task<ImageEmbedding> EmbedAsync(LoadedModel model, string reference, CancellationToken ct) =>
        await EmbedAsync(model, await ReadAsync(reference, ct).ConfigureAwait(false), ct).ConfigureAwait(false);

    /// <summary>The item to store for an image: embedded and fingerprinted through the content cache, tagged with the model's space.</summary>
    /// <exception cref="Imaging.Decode.ImageDecodeException">The bytes are not a usable image.</exception>
    /// <exception cref="Models.Batching.OverloadedException">Too many images are waiting.</exception>
    public async Task<CollectionItem> ItemAsync(LoadedModel model, string id, ImageContent image, JsonElement? metadata, string? source, CancellationToken ct)
    {
        IngestedImage ingested = await IngestAsync(model, image, ct).ConfigureAwait(false);
        return new CollectionItem(id, ingested.Embedding.Vector, metadata, source, ingested.Fingerprint.ContentHash, ingested.Fingerprint.PerceptualHash)
        {
            Space = ingested.Embedding.Space,
        };
    }

    /// <summary>Embeds and fingerprints <paramref name="image"/> through the content cache (see the remarks).</summary>
    /// <exception cref="Imaging.Decode.ImageDecodeException">The bytes are not a usable image.</exception>
    /// <exception cref="Models.Batching.OverloadedException">Too many images are waiting.</exception>
    public async Task<IngestedImage> IngestAsync(LoadedModel model, ImageContent image, CancellationToken ct)
    {
        string hash = image.Hash;
        ReadOnlyMemory<byte> bytes = image.Bytes;
        float[]? vector = await FromCacheAsync(() => _cache.GetEmbeddingAsync(model.Space, hash, ct)).ConfigureAwait(false);
        bool cached = vector is not null && vector.Length == model.Dimensions;
        ImageFingerprint? fingerprint = await FromCacheAsync(() => _cache.GetFingerprintAsync(hash, ct)).ConfigureAwait(false);
        bool fingerprintCached = fingerprint is not null;

        ImageEmbedding embedding;
        if (cached)
        {
            embedding = new ImageEmbedding(model.Name, vector!, default, model.Space);
        }
        else if (fingerprint is null)
        {
            // A new image: one decode makes both the model's pixels and the fingerprint (a second decode was a third
            // of the CPU per image), bounded by the engine's decode slots.
            ImageFingerprint? made = null;
            embedding = await Engine.EmbedPreprocessedAsync(model,
                recipe => Engine.Preprocessor.PreprocessWithFingerprint(bytes.Span, recipe, out made, hash), ct).ConfigureAwait(false);
            fingerprint = made!;
        }
        else
        {
            embedding = await Engine.EmbedImageAsync(model, bytes, ct).ConfigureAwait(false);
        }
        if (!cached)
        {
            _observer.Embedded(embedding.Timings);
            ImageEmbedding computed = embedding;
            await ToCacheAsync(() => _cache.PutEmbeddingAsync(computed.Space, hash, computed.Vector, ct)).ConfigureAwait(false);
        }

        if (fingerprint is null)
        {
            await _fingerprintSlots.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                fingerprint = await Task.Run(() => _fingerprinter.Compute(bytes.Span, hash), ct).ConfigureAwait(false);
            }
            finally
            {
                _fingerprintSlots.Release();
            }
        }
        if (!fingerprintCached)
        {
            ImageFingerprint computed = fingerprint;
            await ToCacheAsync(() => _cache.PutFingerprintAsync(computed, ct)).ConfigureAwait(false);
        }
        return new IngestedImage(embedding, fingerprint, cached);
    }

    /// <summary>The cached thumbnail (JPEG) of the image with this content hash, or null.</summary>
    public Task<byte[]?> ThumbnailAsync(string contentHash, CancellationToken ct) => FromCacheAsync(() => _cache.GetThumbnailAsync(contentHash, ct));

    private async Task<T?> FromCacheAsync<T>(Func<Task<T?>> read) where T : class
    {
        try
        {
            return await read().ConfigureAwait(false);
        }
        catch (Exception e) when (e is DbException or PgVectorUnavailableException)
        {
            _observer.CacheFailed(e);
            return null;
        }
    }

    private Task ToCacheAsync(Func<Task> write) => FromCacheAsync<string>(async () => { await write().ConfigureAwait(false); return null; });
}
