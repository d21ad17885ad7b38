using System.Text.Json;
using System.Text.Json.Serialization;

namespace ImageEmbed.Contracts;

/// <summary>A collection: <c>PUT/GET /v1/collections/{name}</c>.</summary>
public sealed record CollectionResponse(string Name, string Model, int Dimensions, long Count, DateTimeOffset Created, string EmbeddingSpace);

/// <summary><c>GET /v1/collections</c>.</summary>
public sealed record CollectionList(CollectionResponse[] Collections);

/// <summary><c>PUT /v1/collections/{name}</c>'s optional body: the model of a new collection (<c>default</c> when left out).</summary>
public sealed record CreateCollectionRequest(string? Model);

/// <summary>Why one item of an upsert failed: the status it alone would have had, and the message.</summary>
public sealed record ItemError(int Status, string Message);

/// <summary>One item's outcome, in request order: <c>ok</c> or <c>error</c>.</summary>
public sealed record ItemResult(string? Id, string Status, ItemError? Error);

/// <summary><c>POST /v1/collections/{name}/items</c> (JSON items or multipart files): one result per item.</summary>
public sealed record UpsertResponse(int Upserted, int Failed, ItemResult[] Results);

/// <summary>
/// One item of <c>GET /v1/collections/{name}/items</c>. <see cref="Vector"/>, <see cref="ContentHash"/> and
/// <see cref="Phash"/> are there only with <c>?vectors=true</c> (how <c>imageembed export --server</c> reads a collection).
/// </summary>
public sealed record ItemSummary(string Id, JsonElement? Metadata, string? Source,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] float[]? Vector = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ContentHash = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Phash = null);

/// <summary>One item of a JSON upsert given as a vector (<c>imageembed import --server</c>).</summary>
public sealed record VectorItem(string Id, float[] Vector, JsonElement? Metadata, string? Source);

/// <summary><c>POST /v1/collections/{name}/items</c> with items given as vectors.</summary>
public sealed record VectorUpsertRequest(VectorItem[] Items);

/// <summary><c>GET /v1/collections/{name}/items</c>: a page of items in id order.</summary>
public sealed record ItemPage(string Collection, long Total, int Offset, int Limit, ItemSummary[] Items);

/// <summary><c>GET /v1/collections/{name}/items/{id}</c>.</summary>
public sealed record ItemResponse(string Id, float[] Vector, JsonElement? Metadata, string? Source, string? ContentHash, string? Phash);

/// <summary>
/// <c>POST /v1/collections/{name}/search</c>'s body: exactly one of <see cref="Image"/> (URL or data URI),
/// <see cref="Text"/>, <see cref="Vector"/> or <see cref="Id"/>; fields left null are not sent.
/// </summary>
public sealed record SearchRequest(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Image = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Text = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] float[]? Vector = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Id = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? K = null);

/// <summary>A search hit: cosine similarity to the query, highest first.</summary>
public sealed record Hit(string Id, float Score, JsonElement? Metadata, string? Source);

/// <summary><c>POST /v1/collections/{name}/search</c> and <c>/recommend</c>.</summary>
public sealed record SearchResponse(string Collection, string Model, Hit[] Results);
