using ImageEmbed.Storage;

namespace ImageEmbed.Service.Hosting;

/// <summary>
/// Opens the configured collection store once, on first use (<c>IMAGEEMBED_STORE</c>: empty for the
/// embedded store in the data folder, <c>embedded-int8</c> for its int8 layout, or a PostgreSQL
/// connection string / URL for pgvector), and
/// disposes it when the host stops.
/// </summary>
internal sealed class CollectionStoreProvider(ServiceOptions options, string dataDirectory) : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private Task<ICollectionStore>? _store;

    /// <summary>The store; a failed open (e.g. PostgreSQL unreachable) is retried by the next request instead of being kept.</summary>
    public Task<ICollectionStore> GetAsync()
    {
        lock (_lock)
        {
            if (_store is null || _store.IsFaulted || _store.IsCanceled) _store = Open(options.Store, dataDirectory);
            return _store;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Task<ICollectionStore>? store;
        lock (_lock) store = _store;
        if (store is { IsCompletedSuccessfully: true }) await store.Result.DisposeAsync().ConfigureAwait(false);
    }

    private static Task<ICollectionStore> Open(string store, string dataDirectory) => CollectionStores.OpenAsync(store, dataDirectory);
}
