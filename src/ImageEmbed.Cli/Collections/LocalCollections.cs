using ImageEmbed.ModelTools.Install;
using ImageEmbed.Application.Ingest;
using ImageEmbed.Cli.Indexing;
using ImageEmbed.Cli.Infrastructure;
using ImageEmbed.Imaging;
using ImageEmbed.Models;
using ImageEmbed.Models.Catalog;
using ImageEmbed.Storage;
using ImageEmbed.Storage.Content;

namespace ImageEmbed.Cli.Collections;

/// <summary>
/// Collections in the store this process opens itself (<c>IMAGEEMBED_STORE</c>; by default the embedded
/// store in <c>IMAGEEMBED_DATA_DIR</c>), with images through the same ingest path as the service
/// (<see cref="ImageIngest"/>: parallel decode, micro-batched inference, the content cache). Do not point it at
/// the data folder of a running service: the service would not see the writes until it restarts; use
/// <c>--server</c> for that.
/// </summary>
internal sealed class LocalCollections : ICollectionAccess
{
    private readonly ICollectionStore _store;
    private readonly ModelsOptions _models;
    private readonly Lazy<EmbeddingEngine> _engine;
    private readonly Lazy<ContentCache> _cache;
    private readonly Lazy<ImageIngest> _ingest;
    private readonly Dictionary<string, Task<LoadedModel>> _collectionModels = new(StringComparer.Ordinal);
    private bool _bootstrapped;

    private LocalCollections(ICollectionStore store, string where)
    {
        _store = store;
        Where = where;
        _models = Settings.Models();
        ImagingOptions imaging = Settings.Imaging();
        string data = Settings.DataDirectory();
        _engine = new(() => new EmbeddingEngine(_models, imaging, data));
        _cache = new(() => ContentCache.Open(data));
        // A store that keeps its own content cache (PostgreSQL) shares it with the service's nodes.
        _ingest = new(() => new ImageIngest(_engine.Value, store as IContentCache ?? _cache.Value, imaging, observer: new ConsoleIngestObserver()));
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

    /// <summary>The ingest path (<see cref="ImageIngest.ItemAsync"/>) with the collection's model, resolved once per run.</summary>
    public async Task<PendingItem> PrepareAsync(CollectionInfo collection, InputImage image, CancellationToken ct)
    {
        LoadedModel model = await ModelForAsync(collection, ct).ConfigureAwait(false);
        CollectionItem item = await _ingest.Value.ItemAsync(model, image.Id, new ImageContent(image.Bytes, image.ContentHash), image.Metadata, image.Source, ct).ConfigureAwait(false);
        return new PendingItem(image.Id, image.Source, item);
    }

    public async Task<byte[]?> ThumbnailAsync(string collection, CollectionItem item, CancellationToken ct) =>
        item.ContentHash is { } hash ? await _ingest.Value.ThumbnailAsync(hash, ct).ConfigureAwait(false) : null;

    public IAsyncEnumerable<CollectionItem> ReadAllAsync(string collection, CancellationToken ct) => _store.ReadAllAsync(collection, ct);

    public async Task UpsertVectorsAsync(string collection, IReadOnlyList<CollectionItem> items, CancellationToken ct)
    {
        foreach (CollectionItem[] chunk in items.Chunk(1000))
            await _store.UpsertAsync(collection, chunk, ct).ConfigureAwait(false);
    }

    /// <summary>The model's calibrated threshold: its manifest's, else the catalog's.</summary>
    public async Task<float> DuplicateThresholdAsync(string model, CancellationToken ct)
    {
        ModelManifest? manifest = null;
        try
        {
            manifest = (await EngineAsync(ct).ConfigureAwait(false)).Registry.Find(model).Manifest;
        }
        catch (UnknownModelException)
        {
        }
        return ModelCatalog.DuplicateThreshold(model, manifest);
    }

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
        else
        {
            LoadedModel model = await ModelForAsync(collection, ct).ConfigureAwait(false);
            query = request.Text is not null
                ? (await _engine.Value.EmbedTextsAsync(model, [request.Text], ct).ConfigureAwait(false)).Vectors[0]
                : (await _ingest.Value.EmbedAsync(model, request.Image!.Value, ct).ConfigureAwait(false)).Vector;
        }
        return await _store.SearchAsync(collection.Name, new SearchQuery(query, request.K) { Exclude = exclude }, ct).ConfigureAwait(false);
    }

    /// <summary>The collection's model, loaded once (installing a model on first use, as every command does), in the collection's space.</summary>
    private async Task<LoadedModel> ModelForAsync(CollectionInfo collection, CancellationToken ct)
    {
        Task<LoadedModel> loading;
        lock (_collectionModels)
        {
            if (!_collectionModels.TryGetValue(collection.Name, out loading!) || loading.IsFaulted)
                _collectionModels[collection.Name] = loading = LoadAsync();
        }
        return await loading.ConfigureAwait(false);

        async Task<LoadedModel> LoadAsync()
        {
            await EngineAsync(ct).ConfigureAwait(false); // installs a model on first use
            return await _ingest.Value.ModelForAsync(collection).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_cache.IsValueCreated) _cache.Value.Dispose();
        if (_engine.IsValueCreated) await _engine.Value.DisposeAsync().ConfigureAwait(false);
        await _store.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>A cache that fails (busy, damaged, disk full) costs work, never a run: said once, then treated as a miss.</summary>
    private sealed class ConsoleIngestObserver : IIngestObserver
    {
        private int _warned;

        public void Fetched(TimeSpan elapsed) { }

        public void Embedded(EmbeddingTimings timings) { }

        public void CacheFailed(Exception exception)
        {
            if (Interlocked.Exchange(ref _warned, 1) == 0) Console.Error.WriteLine($"warning: content cache unavailable, continuing without it: {exception.Message}");
        }
    }
}
