using ImageEmbed.Storage;
using ImageEmbed.Storage.Embedded;
using ImageEmbed.Storage.PgVector;

namespace ImageEmbed.Service.Hosting;

/// <summary>
/// Opens the configured collection store once, on first use (<c>IMAGEEMBED_STORE</c>: empty for the
/// embedded store in the data folder, <c>embedded-int8</c> for its int8 layout, or a PostgreSQL
/// connection string / URL for pgvector), and
/// disposes it when the host stops.
/// </summary>
internal sealed class CollectionStoreProvider(ServiceOptions options, string dataDirectory) : IAsyncDisposable
{
    private readonly Lazy<Task<ICollectionStore>> _store = new(() => Open(options.Store, dataDirectory));

    public Task<ICollectionStore> GetAsync() => _store.Value;

    public async ValueTask DisposeAsync()
    {
        if (_store.IsValueCreated && _store.Value.IsCompletedSuccessfully) await _store.Value.Result.DisposeAsync().ConfigureAwait(false);
    }

    private static async Task<ICollectionStore> Open(string store, string dataDirectory)
    {
        if (string.IsNullOrWhiteSpace(store) || store == "embedded")
            return await EmbeddedStore.OpenAsync(dataDirectory).ConfigureAwait(false);
        if (store == "embedded-int8")
            return await EmbeddedStore.OpenAsync(dataDirectory, int8: true).ConfigureAwait(false);
        return await PgVectorStore.OpenAsync(store, CancellationToken.None).ConfigureAwait(false);
    }
}
