using System.Text.Json;

namespace ImageEmbed.Storage;

/// <summary>
/// A collection: vectors of one model, all of <see cref="Dimensions"/> length, in one embedding space
/// (<see cref="Space"/>, the model's fingerprint when the collection was made; empty if unknown).
/// </summary>
public sealed record CollectionInfo(string Name, string Model, int Dimensions, long Count, DateTimeOffset Created, string Space = "")
{
    /// <summary>
    /// The one rule that keeps embedding spaces apart: vectors from another space (another model, or the same
    /// model's changed files or preprocessing) are refused, never mixed in silently. Unknown spaces pass (null here,
    /// or a collection made before spaces were recorded).
    /// </summary>
    /// <param name="what">What carries <paramref name="space"/>, for the message: "item 'a'", "the query vector", "model 'x'".</param>
    /// <exception cref="CollectionConflictException">The spaces differ; the message names both.</exception>
    public void RequireSpace(string? space, string what)
    {
        if (string.IsNullOrEmpty(space) || Space.Length == 0 || space == Space) return;
        throw new CollectionConflictException(
            $"{what} is in embedding space {space}; collection '{Name}' holds {Space} (model '{Model}'). Vectors from different spaces cannot be compared.");
    }
}

/// <summary>
/// One stored item. <see cref="Vector"/> is unit length (the service normalizes before storing), so
/// cosine similarity is a dot product. <see cref="Metadata"/> is a JSON object or null.
/// For items made from an image, <see cref="ContentHash"/> is the SHA-256 of its encoded bytes (64 lowercase
/// hex digits) and <see cref="PerceptualHash"/> its 64-bit DCT pHash; both null for items given as vectors.
/// </summary>
/// <see cref="Space"/> is the embedding space the vector came from when the writer knows it: the store refuses an item
/// from another space than the collection's (<see cref="CollectionInfo.RequireSpace"/>). It is not stored.
public sealed record CollectionItem(string Id, float[] Vector, JsonElement? Metadata = null, string? Source = null,
    string? ContentHash = null, ulong? PerceptualHash = null)
{
    public string? Space { get; init; }
}

/// <summary>A search result: cosine similarity to the query, highest first.</summary>
public sealed record SearchHit(string Id, float Score, JsonElement? Metadata, string? Source);

/// <summary>
/// A nearest-neighbour query. <see cref="Filter"/> keeps items whose metadata has each key equal to
/// the given JSON value; <see cref="Exclude"/> drops ids (e.g. the query item itself).
/// </summary>
public sealed record SearchQuery(float[] Vector, int K)
{
    /// <summary>
    /// Candidates an approximate index considers (pgvector's <c>hnsw.ef_search</c>, at most 1000): more find the true
    /// nearest neighbours more often, at more cost. Null: the store's default. Exact stores ignore it.
    /// </summary>
    public int? Candidates { get; init; }

    /// <summary>Compare the query with every item instead of using an approximate index: the true nearest neighbours, slower on large collections.</summary>
    public bool Exact { get; init; }

    public float? MinScore { get; init; }
    public IReadOnlyDictionary<string, JsonElement>? Filter { get; init; }
    public IReadOnlySet<string>? Exclude { get; init; }
}
