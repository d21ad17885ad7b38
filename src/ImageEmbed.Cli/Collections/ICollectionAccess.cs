using System.Text.Json;
using ImageEmbed.Storage;

namespace ImageEmbed.Cli.Collections;

/// <summary>An image read for indexing: its bytes, their SHA-256 (lower-case hex), and what to store with it.</summary>
internal sealed record InputImage(string Id, ReadOnlyMemory<byte> Bytes, string ContentHash, string Source, JsonElement? Metadata);

/// <summary>An item ready to be written: embedded here (local) or to be embedded by the server (remote).</summary>
internal sealed record PendingItem(string Id, string Source, object Payload);

/// <summary>Which query a search runs: exactly one of text, an image's bytes, or the id of a stored item.</summary>
internal sealed record SearchRequest(string? Text, ReadOnlyMemory<byte>? Image, string? Id, int K);

/// <summary>
/// The collection operations the commands need, against the embedded store in this process or a running
/// server (<c>--server URL</c>). The same command behaves the same either way.
/// </summary>
internal interface ICollectionAccess : IAsyncDisposable
{
    /// <summary>Where the collections are, for messages: the data folder or the server's address.</summary>
    string Where { get; }

    /// <summary>Most image bytes in one <see cref="CommitAsync"/> batch (one image alone may exceed it).</summary>
    long MaxBatchBytes { get; }

    /// <summary>The collection, created for <paramref name="model"/> (null: the default model) when missing.</summary>
    Task<CollectionInfo> EnsureAsync(string name, string? model, CancellationToken ct);

    /// <exception cref="CollectionNotFoundException">No such collection.</exception>
    Task<CollectionInfo> GetAsync(string name, CancellationToken ct);

    /// <summary>The content hash stored with an item (SHA-256 of its image's bytes), or null when there is no such item (or it was given as a vector).</summary>
    Task<string?> ContentHashAsync(string collection, string id, CancellationToken ct);

    /// <summary>Makes the item to store: embeds locally, or packs the bytes for the server.</summary>
    Task<PendingItem> PrepareAsync(CollectionInfo collection, InputImage image, CancellationToken ct);

    /// <summary>Writes items; returns those that failed (the rest are stored, durably).</summary>
    Task<IReadOnlyList<Indexing.IndexFailure>> CommitAsync(CollectionInfo collection, IReadOnlyList<PendingItem> items, CancellationToken ct);

    Task<IReadOnlyList<SearchHit>> SearchAsync(CollectionInfo collection, SearchRequest request, CancellationToken ct);

    /// <summary>Every item with its vector, content hash and perceptual hash, in id order (export, dedup, cluster).</summary>
    IAsyncEnumerable<CollectionItem> ReadAllAsync(string collection, CancellationToken ct);

    /// <summary>Writes items given as vectors (import), all of them or an exception.</summary>
    Task UpsertVectorsAsync(string collection, IReadOnlyList<CollectionItem> items, CancellationToken ct);

    /// <summary>The cosine at which two items of <paramref name="model"/> count as duplicates, as the service's duplicates route uses.</summary>
    Task<float> DuplicateThresholdAsync(string model, CancellationToken ct);

    /// <summary>The stored thumbnail (JPEG) of an item, or null.</summary>
    Task<byte[]?> ThumbnailAsync(string collection, CollectionItem item, CancellationToken ct);
}
