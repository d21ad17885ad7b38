using ImageEmbed.Cli.Indexing;
using ImageEmbed.Cli.Infrastructure;
using ImageEmbed.Imaging;
using ImageEmbed.Models;
using ImageEmbed.Models.Catalog;
using ImageEmbed.Storage;

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
    private bool _bootstrapped;

    private LocalCollections(ICollectionStore store, string where)
    {
        _store = store;
        Where = where;
        _models = Settings.Models();
        _imaging = Settings.Imaging();
        _engine = new(() => new EmbeddingEngine(_models, _imaging));
    }

    public string Where { get; }

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
        await _store.GetItemAsync(collection, id, ct).ConfigureAwait(false) is { } item ? ItemContent.HashOf(item) : null;

    public async Task<PendingItem> PrepareAsync(CollectionInfo collection, IndexedImage image, CancellationToken ct)
    {
        EmbeddingEngine engine = await EngineAsync(ct).ConfigureAwait(false);
        ImageEmbedding embedding = await engine.EmbedImageAsync(image.Bytes, collection.Model, ct).ConfigureAwait(false);
        CheckSpace(collection, embedding.Space);
        return new PendingItem(image.Id, image.Source, new CollectionItem(image.Id, embedding.Vector, image.Metadata, image.Source));
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

    public async ValueTask DisposeAsync()
    {
        if (_engine.IsValueCreated) await _engine.Value.DisposeAsync().ConfigureAwait(false);
        await _store.DisposeAsync().ConfigureAwait(false);
    }

    private static void CheckSpace(CollectionInfo collection, string space)
    {
        if (collection.Space.Length > 0 && space != collection.Space)
            throw new CollectionConflictException($"Collection '{collection.Name}' holds vectors of embedding space {collection.Space} (model '{collection.Model}'); the model now embeds in {space}. Vectors from different spaces cannot be compared.");
    }
}
