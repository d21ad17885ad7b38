using System.Text.Json;

namespace ImageEmbed.Storage;

/// <summary>
/// A collection: vectors of one model, all of <see cref="Dimensions"/> length, in one embedding space
/// (<see cref="Space"/>, the model's fingerprint when the collection was made; empty if unknown).
/// </summary>
public sealed record CollectionInfo(string Name, string Model, int Dimensions, long Count, DateTimeOffset Created, string Space = "");

/// <summary>
/// One stored item. <see cref="Vector"/> is unit length (the service normalizes before storing), so
/// cosine similarity is a dot product. <see cref="Metadata"/> is a JSON object or null.
/// For items made from an image, <see cref="ContentHash"/> is the SHA-256 of its encoded bytes (64 lowercase
/// hex digits) and <see cref="PerceptualHash"/> its 64-bit DCT pHash; both null for items given as vectors.
/// </summary>
public sealed record CollectionItem(string Id, float[] Vector, JsonElement? Metadata = null, string? Source = null,
    string? ContentHash = null, ulong? PerceptualHash = null);

/// <summary>A search result: cosine similarity to the query, highest first.</summary>
public sealed record SearchHit(string Id, float Score, JsonElement? Metadata, string? Source);

/// <summary>
/// A nearest-neighbour query. <see cref="Filter"/> keeps items whose metadata has each key equal to
/// the given JSON value; <see cref="Exclude"/> drops ids (e.g. the query item itself).
/// </summary>
public sealed record SearchQuery(float[] Vector, int K)
{
    public float? MinScore { get; init; }
    public IReadOnlyDictionary<string, JsonElement>? Filter { get; init; }
    public IReadOnlySet<string>? Exclude { get; init; }
}
