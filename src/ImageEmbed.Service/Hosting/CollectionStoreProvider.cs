using ImageEmbed.Models.Execution;
using ImageEmbed.Storage;
using ImageEmbed.Storage.PgVector;

namespace ImageEmbed.Service.Hosting;

/// <summary>
/// Opens the configured collection store once, on first use (<c>IMAGEEMBED_STORE</c>: empty for the
/// embedded store in the data folder, <c>embedded-int8</c> for its int8 layout, or a PostgreSQL
/// connection string / URL for pgvector), and disposes it when the host stops.
/// </summary>
internal sealed class CollectionStoreProvider(ServiceOptions options, ExecutionPlan plan, string dataDirectory) : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private Task<ICollectionStore>? _store;

    /// <summary>
    /// Connections this node opens to PostgreSQL: <c>IMAGEEMBED_STORE_POOL_SIZE</c>, or automatically the decoders and
    /// inference runs (which bound how many requests do real work at once) plus a few for reads and searches.
    /// </summary>
    public int PoolSize => options.StorePoolSize > 0 ? options.StorePoolSize : plan.DecodeConcurrency + plan.ParallelBatches + 4;

    /// <summary>The store; a failed open (e.g. PostgreSQL unreachable) is retried by the next request instead of being kept.</summary>
    public Task<ICollectionStore> GetAsync()
    {
        lock (_lock)
        {
            if (_store is null || _store.IsFaulted || _store.IsCanceled) _store = CollectionStores.OpenAsync(options.Store, dataDirectory, poolSize: PoolSize);
            return _store;
        }
    }

    /// <summary>Null when the store answers; otherwise why it cannot be used now (for <c>/readyz</c>).</summary>
    public async Task<string?> UnavailableReasonAsync(TimeSpan timeout, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        try
        {
            ICollectionStore store = await GetAsync().WaitAsync(deadline.Token).ConfigureAwait(false);
            if (store is PgVectorStore pg) await pg.PingAsync(deadline.Token).ConfigureAwait(false);
            return null;
        }
        catch (PgVectorUnavailableException e)
        {
            return e.Message;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return $"The collection store did not answer within {timeout.TotalSeconds:0.#} s.";
        }
    }

    public async ValueTask DisposeAsync()
    {
        Task<ICollectionStore>? store;
        lock (_lock) store = _store;
        if (store is { IsCompletedSuccessfully: true }) await store.Result.DisposeAsync().ConfigureAwait(false);
    }
}
