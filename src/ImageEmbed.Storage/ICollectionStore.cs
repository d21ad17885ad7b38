namespace ImageEmbed.Storage;

/// <summary>
/// Where collections live. Two implementations pass one contract: the embedded store (SQLite file +
/// in-memory exact search, one machine) and PostgreSQL/pgvector (HNSW, many nodes). Every method is
/// thread-safe; a completed write is durable. Knows nothing of HTTP.
/// </summary>
public interface ICollectionStore : IAsyncDisposable
{
    /// <summary>Short name for logs and /readyz: <c>embedded</c> or <c>pgvector</c>.</summary>
    string Kind { get; }

    /// <summary>Creates the collection, or returns it when it exists with the same model, dimensions and space.</summary>
    /// <param name="space">The embedding-space fingerprint of the model's vectors; empty when unknown.</param>
    /// <exception cref="CollectionConflictException">It exists with another model, dimension or space.</exception>
    /// <exception cref="InvalidStoreRequestException">The name is not valid (see <see cref="CollectionNames"/>).</exception>
    Task<CollectionInfo> CreateCollectionAsync(string name, string model, int dimensions, string space = "", CancellationToken ct = default);

    Task<CollectionInfo?> GetCollectionAsync(string name, CancellationToken ct = default);

    Task<IReadOnlyList<CollectionInfo>> ListCollectionsAsync(CancellationToken ct = default);

    /// <returns>False when there was no such collection.</returns>
    Task<bool> DeleteCollectionAsync(string name, CancellationToken ct = default);

    /// <summary>Inserts or replaces items by id, all or nothing. Durable when the task completes.</summary>
    /// <exception cref="CollectionNotFoundException">No such collection.</exception>
    /// <exception cref="InvalidStoreRequestException">A vector has the wrong length, or an id is invalid.</exception>
    Task UpsertAsync(string collection, IReadOnlyList<CollectionItem> items, CancellationToken ct = default);

    /// <exception cref="CollectionNotFoundException">No such collection.</exception>
    Task<CollectionItem?> GetItemAsync(string collection, string id, CancellationToken ct = default);

    /// <returns>False when there was no such item.</returns>
    /// <exception cref="CollectionNotFoundException">No such collection.</exception>
    Task<bool> DeleteItemAsync(string collection, string id, CancellationToken ct = default);

    /// <summary>The <c>K</c> items most similar to the query (cosine), highest first, after filters.</summary>
    /// <exception cref="CollectionNotFoundException">No such collection.</exception>
    /// <exception cref="InvalidStoreRequestException">The query vector has the wrong length.</exception>
    Task<IReadOnlyList<SearchHit>> SearchAsync(string collection, SearchQuery query, CancellationToken ct = default);

    /// <summary>Ids of the items whose <see cref="CollectionItem.ContentHash"/> is <paramref name="contentHash"/> (indexed), in id order.</summary>
    /// <exception cref="CollectionNotFoundException">No such collection.</exception>
    Task<IReadOnlyList<string>> FindByContentHashAsync(string collection, string contentHash, CancellationToken ct = default);

    /// <summary>Every item, in id order (for duplicates, clusters, export).</summary>
    /// <exception cref="CollectionNotFoundException">No such collection.</exception>
    IAsyncEnumerable<CollectionItem> ReadAllAsync(string collection, CancellationToken ct = default);
}
