using System.Text.Json.Serialization;

namespace ImageEmbed.Contracts;

/// <summary>The wire records' JSON: snake_case, source-generated (no reflection).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(CollectionResponse))]
[JsonSerializable(typeof(CollectionList))]
[JsonSerializable(typeof(CreateCollectionRequest))]
[JsonSerializable(typeof(UpsertResponse))]
[JsonSerializable(typeof(ItemResponse))]
[JsonSerializable(typeof(ItemPage))]
[JsonSerializable(typeof(VectorUpsertRequest))]
[JsonSerializable(typeof(SearchRequest))]
[JsonSerializable(typeof(SearchResponse))]
public sealed partial class ContractsJsonContext : JsonSerializerContext;
