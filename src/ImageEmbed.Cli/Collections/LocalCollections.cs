using ImageEmbed.Cli.Indexing;
using ImageEmbed.Cli.Infrastructure;
using ImageEmbed.Imaging;
using ImageEmbed.Imaging.Fingerprint;
using ImageEmbed.Models;
using ImageEmbed.Models.Catalog;
using ImageEmbed.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using ImageEmbed.Storage;
using ImageEmbed.Storage.Content;

namespace ImageEmbed.Cli.Collections;

/// <summary>
/// Collections in the store this process opens itself (<c>IMAGEEMBED_STORE</c>; by default the embedded
/// store in <c>IMAGEEMBED_DATA_DIR</c>), with images embedded in-process: parallel decode, micro-batched
/// inference. Do not point it at the data folder of a running service: the service would not see the
/// writes until it restarts; use <c>--server</c> for that.
/// </summary>
internal sealed class LocalCollections : ICollectionAccess
{
    private readonly ICollectionStore _store;
    private readonly ModelsOptions _models;
    private readonly ImagingOptions _imaging;
    private readonly Lazy<EmbeddingEngine> _engine;
    private readonly Lazy<ContentCache> _cache;
    private readonly Lazy<CachedImageEmbedder> _embedder;
    private int _cacheWarned;
    private bool _bootstrapped;

    private LocalCollections(ICollectionStore store, string where)
    {
        _store = store;
        Where = where;
        _models = Settings.Models();
        _imaging = Settings.Imaging();
        _engine = new(() => new EmbeddingEngine(_models, _imaging));
        string data = Settings.DataDirectory();
        _cache = new(() => ContentCache.Open(data));
        _embedder = new(() => new CachedImageEmbedder(_engine.Value, new ImageFingerprinter(_imaging), _cache.Value, _imaging.DecodeConcurrency, CacheFailed));
    }

    public string Where { get; }

    public long MaxBatchBytes => 8 * 1024 * 1024;

    public ICollectionStore Store => _store;

    public static async Task<LocalCollections> OpenAsync(CancellationToken ct)
    {
        string data = Settings.DataDirectory();
        string setting = Settings.Store();
        ICollectionStore store = await CollectionStores.OpenAsync(setting, data, ct).ConfigureAwait(false);
        return new LocalCollections(store, string.IsNullOrWhiteSpace(setting) || setting.StartsWith("embedded", StringComparison.Ordinal) ? data : store.Kind);
    }

    public async Task<EmbeddingEngine> EngineAsync(CancellationToken ct)
    {
        EmbeddingEngine engine = _engine.Value;
        if (!_bootstrapped)
        {
            await ModelBootstrapper.EnsureInstalledAsync(engine.Registry, _models, message => Console.Error.WriteLine(message), ct).ConfigureAwait(false);
            _bootstrapped = true;
        }
        return engine;
    }

    public async Task<CollectionInfo> EnsureAsync(string name, string? model, CancellationToken ct)
    {
        CollectionNames.Validate(name);
        if (await _store.GetCollectionAsync(name, ct).ConfigureAwait(false) is { } existing)
        {
            if (model is not null)
            {
                string resolved = (await EngineAsync(ct).ConfigureAwait(false)).Registry.ResolveName(model);
                if (resolved != existing.Model)
                    throw new CollectionConflictException($"Collection '{name}' holds vectors of model '{existing.Model}', not '{resolved}'. Leave out --model, or use another collection.");
            }
            return existing;
        }
        LoadedModel loaded = await (await EngineAsync(ct).ConfigureAwait(false)).LoadAsync(model).ConfigureAwait(false);
        return await _store.CreateCollectionAsync(name, loaded.Name, loaded.Dimensions, loaded.Space, ct).ConfigureAwait(false);
    }

    public async Task<CollectionInfo> GetAsync(string name, CancellationToken ct) =>
        await _store.GetCollectionAsync(name, ct).ConfigureAwait(false) ?? throw new CollectionNotFoundException(name);

    public async Task<string?> ContentHashAsync(string collection, string id, CancellationToken ct) =>
        (await _store.GetItemAsync(collection, id, ct).ConfigureAwait(false))?.ContentHash;

    /// <summary>
    /// Embeds and fingerprints the image through the content cache (<see cref="CachedImageEmbedder"/>): bytes
    /// seen before, in the collection's embedding space, are neither embedded nor decoded again.
    /// </summary>
    public async Task<PendingItem> PrepareAsync(CollectionInfo collection, InputImage image, CancellationToken ct)
    {
        await EngineAsync(ct).ConfigureAwait(false); // installs a model on first use, as every command does
        IndexedImage indexed = await _embedder.Value.EmbedAsync(image.Bytes, collection.Model, ct).ConfigureAwait(false);
        CheckSpace(collection, indexed.Embedding.Space);
        var item = new CollectionItem(image.Id, indexed.Embedding.Vector, image.Metadata, image.Source, indexed.Fingerprint.ContentHash, indexed.Fingerprint.PerceptualHash);
        return new PendingItem(image.Id, image.Source, item);
    }

    /// <summary>The cached thumbnail (JPEG) of these bytes, or null.</summary>
    public byte[]? CachedThumbnail(string contentHash) => Cached(() => _cache.Value.GetThumbnail(contentHash));

    public async Task<IReadOnlyList<IndexFailure>> CommitAsync(CollectionInfo collection, IReadOnlyList<PendingItem> items, CancellationToken ct)
    {
        await _store.UpsertAsync(collection.Name, items.Select(i => (CollectionItem)i.Payload).ToList(), ct).ConfigureAwait(false);
        return [];
    }

    public async Task<IReadOnlyList<SearchHit>> SearchAsync(CollectionInfo collection, SearchRequest request, CancellationToken ct)
    {
        float[] query;
        HashSet<string>? exclude = null;
        if (request.Id is not null)
        {
            query = (await _store.GetItemAsync(collection.Name, request.Id, ct).ConfigureAwait(false)
                ?? throw new UsageException($"No item '{request.Id}' in collection '{collection.Name}'.")).Vector;
            exclude = [request.Id];
        }
        else if (request.Text is not null)
        {
            TextEmbeddings text = await (await EngineAsync(ct).ConfigureAwait(false)).EmbedTextsAsync([request.Text], collection.Model, ct).ConfigureAwait(false);
            CheckSpace(collection, text.Space);
            query = text.Vectors[0];
        }
        else
        {
            ImageEmbedding image = await (await EngineAsync(ct).ConfigureAwait(false)).EmbedImageAsync(request.Image!.Value, collection.Model, ct).ConfigureAwait(false);
            CheckSpace(collection, image.Space);
            query = image.Vector;
        }
        return await _store.SearchAsync(collection.Name, new SearchQuery(query, request.K) { Exclude = exclude }, ct).ConfigureAwait(false);
    }

    /// <summary>A cache that fails (busy, damaged, disk full) costs work, never a run: said once, then treated as a miss.</summary>
    private T? Cached<T>(Func<T?> operation) where T : class
    {
        try
        {
            return operation();
        }
        catch (SqliteException e)
        {
            CacheFailed(e);
            return null;
        }
    }

    private void CacheFailed(SqliteException e)
    {
        if (Interlocked.Exchange(ref _cacheWarned, 1) == 0) Console.Error.WriteLine($"warning: content cache unavailable, continuing without it: {e.Message}");
    }

    public async ValueTask DisposeAsync()
    {
        if (_cache.IsValueCreated) _cache.Value.Dispose();
        if (_engine.IsValueCreated) await _engine.Value.DisposeAsync().ConfigureAwait(false);
        await _store.DisposeAsync().ConfigureAwait(false);
    }

    private static void CheckSpace(CollectionInfo collection, string space)
    {
        if (collection.Space.Length > 0 && space != collection.Space)
            throw new CollectionConflictException($"Collection '{collection.Name}' holds vectors of embedding space {collection.Space} (model '{collection.Model}'); the model now embeds in {space}. Vectors from different spaces cannot be compared.");
    }
}
