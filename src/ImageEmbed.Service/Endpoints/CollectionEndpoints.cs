using System.Text.Json;
using ImageEmbed.Imaging.Fingerprint;
using ImageEmbed.Models;
using ImageEmbed.Models.Catalog;
using ImageEmbed.Models.Embeddings;
using ImageEmbed.Service.Errors;
using ImageEmbed.Service.Hosting;
using ImageEmbed.Storage;
using ImageEmbed.Storage.Analysis;
using ImageEmbed.Storage.Content;

namespace ImageEmbed.Service.Endpoints;

/// <summary>
/// <c>/v1/collections</c>: collections of one model's vectors, batch upsert with per-item results,
/// search by image, text, vector or id, recommend, duplicates and clusters.
/// </summary>
internal static class CollectionEndpoints
{
    internal const int MaxK = 1000;

    public static void Map(IEndpointRouteBuilder app)
    {
        RouteGroupBuilder group = app.MapGroup("/v1/collections").WithTags("Collections");
        group.MapGet("", ListAsync).WithName("ListCollections");
        group.MapPut("/{name}", CreateAsync).WithName("CreateCollection").WithSummary("Create a collection for a model: {\"model\": \"default\"}. Idempotent; 409 if it exists for another model.").ProducesApiErrors();
        group.MapGet("/{name}", GetAsync).WithName("GetCollection").ProducesApiErrors();
        group.MapDelete("/{name}", DeleteAsync).WithName("DeleteCollection").ProducesApiErrors();
        group.MapPost("/{name}/items", UpsertAsync).WithName("UpsertItems").WithSummary("Upsert {\"items\": [{\"id\", \"image\" | \"vector\", \"metadata\", \"source\"}]}; one result per item.").ProducesApiErrors();
        group.MapGet("/{name}/items/{id}", GetItemAsync).WithName("GetItem").ProducesApiErrors();
        group.MapGet("/{name}/items/{id}/thumbnail", ThumbnailAsync).WithName("GetItemThumbnail").WithSummary("The item's image as a JPEG thumbnail (longest side 256 px); 404 for items given as vectors.").Produces(200, contentType: "image/jpeg").ProducesApiErrors();
        group.MapDelete("/{name}/items/{id}", DeleteItemAsync).WithName("DeleteItem").ProducesApiErrors();
        group.MapPost("/{name}/search", SearchAsync).WithName("Search").WithSummary("Query by exactly one of image, text, vector, id; k, min_score, filter (metadata equality).").ProducesApiErrors();
        group.MapPost("/{name}/recommend", RecommendAsync).WithName("Recommend").WithSummary("More like the positive ids, less like the negative ids.").ProducesApiErrors();
        group.MapPost("/{name}/duplicates", DuplicatesAsync).WithName("Duplicates").WithSummary("Groups of duplicates; each pair is \"exact\" (same bytes, or pHash distance <= phash_distance) or \"similar\" (cosine >= threshold, default per model). Options: threshold, phash_distance, kind (all|exact|similar).").ProducesApiErrors();
        group.MapPost("/{name}/clusters", ClustersAsync).WithName("Clusters").WithSummary("Connected groups at threshold (default 0.85), or k-means with k.").ProducesApiErrors();
    }

    public sealed record CollectionResponse(string Name, string Model, int Dimensions, long Count, DateTimeOffset Created, string EmbeddingSpace);
    public sealed record CollectionList(CollectionResponse[] Collections);
    public sealed record ItemError(int Status, string Message);
    public sealed record ItemResult(string? Id, string Status, ItemError? Error);
    public sealed record UpsertResponse(int Upserted, int Failed, ItemResult[] Results);
    public sealed record ItemResponse(string Id, float[] Vector, JsonElement? Metadata, string? Source, string? ContentHash, string? Phash);
    public sealed record Hit(string Id, float Score, JsonElement? Metadata, string? Source);
    public sealed record SearchResponse(string Collection, string Model, Hit[] Results);
    public sealed record DuplicatesResponse(float Threshold, int PhashDistance, string Kind, DuplicateGroup[] Groups);
    public sealed record ClustersResponse(string Method, float? Threshold, int? K, Cluster[] Clusters);

    private static async Task<CollectionList> ListAsync(CollectionStoreProvider stores, CancellationToken ct)
    {
        ICollectionStore store = await stores.GetAsync();
        return new CollectionList((await store.ListCollectionsAsync(ct)).Select(Describe).ToArray());
    }

    private static async Task<CollectionResponse> CreateAsync(string name, HttpRequest request, CollectionStoreProvider stores, EmbeddingEngine engine, CancellationToken ct)
    {
        string? model = null;
        if (request.ContentLength is > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            using JsonDocument doc = await RequestBody.ReadJsonObjectAsync(request, ct);
            model = RequestBody.OptionalString(doc.RootElement, "model");
        }
        LoadedModel loaded = await engine.LoadAsync(model);
        ICollectionStore store = await stores.GetAsync();
        return Describe(await store.CreateCollectionAsync(name, loaded.Name, loaded.Dimensions, loaded.Space, ct));
    }

    private static async Task<CollectionResponse> GetAsync(string name, CollectionStoreProvider stores, CancellationToken ct) =>
        Describe(await RequireAsync(await stores.GetAsync(), name, ct));

    private static async Task<IResult> DeleteAsync(string name, CollectionStoreProvider stores, CancellationToken ct) =>
        await (await stores.GetAsync()).DeleteCollectionAsync(name, ct) ? Results.NoContent() : throw new CollectionNotFoundException(name);

    private static async Task<UpsertResponse> UpsertAsync(string name, HttpRequest request, CollectionStoreProvider stores, ImageEmbedder embedder, ServiceOptions options, CancellationToken ct)
    {
        ICollectionStore store = await stores.GetAsync();
        CollectionInfo collection = await RequireAsync(store, name, ct);
        using JsonDocument doc = await RequestBody.ReadJsonObjectAsync(request, ct);
        if (!doc.RootElement.TryGetProperty("items", out JsonElement itemsJson) || itemsJson.ValueKind != JsonValueKind.Array || itemsJson.GetArrayLength() == 0)
            throw ApiException.BadRequest("'items' must be a non-empty array of {\"id\", \"image\" | \"vector\", \"metadata\", \"source\"}.", "items");
        CheckSpace(collection, RequestBody.OptionalString(doc.RootElement, "embedding_space"), "this request's vectors are in");
        if (itemsJson.GetArrayLength() > options.MaxItemsPerUpsert)
            throw ApiException.BadRequest($"'items' has {itemsJson.GetArrayLength()} entries; at most {options.MaxItemsPerUpsert} per request (Service:MaxItemsPerUpsert).", "items");

        // Every item is prepared independently (images embedded concurrently, sharing batches): one bad
        // item gets its own error and the rest are stored.
        JsonElement[] elements = itemsJson.EnumerateArray().Select(e => e.Clone()).ToArray();
        Task<CollectionItem>[] prepared = elements.Select(e => PrepareAsync(e, collection, embedder, ct)).ToArray();
        try { await Task.WhenAll(prepared); } catch { /* per-item errors are read below */ }

        var results = new ItemResult[elements.Length];
        var good = new List<CollectionItem>();
        for (int i = 0; i < elements.Length; i++)
        {
            string? id = elements[i].ValueKind == JsonValueKind.Object && elements[i].TryGetProperty("id", out JsonElement idJson) && idJson.ValueKind == JsonValueKind.String ? idJson.GetString() : null;
            if (prepared[i].IsCompletedSuccessfully)
            {
                good.Add(prepared[i].Result);
                results[i] = new ItemResult(id, "ok", null);
                continue;
            }
            Exception failure = prepared[i].Exception!.InnerException!;
            ApiError error = ErrorMapping.Map(failure) ?? throw failure;
            results[i] = new ItemResult(id, "error", new ItemError(error.Status, error.Message));
        }
        if (good.Count > 0) await store.UpsertAsync(name, good, ct);
        return new UpsertResponse(good.Count, elements.Length - good.Count, results);
    }

    private static async Task<CollectionItem> PrepareAsync(JsonElement element, CollectionInfo collection, ImageEmbedder embedder, CancellationToken ct)
    {
        if (element.ValueKind != JsonValueKind.Object) throw ApiException.BadRequest("Each item must be an object.");
        string id = RequestBody.OptionalString(element, "id") ?? throw ApiException.BadRequest("Each item needs an 'id' (a string).", "id");
        CollectionNames.ValidateId(id);
        string? image = RequestBody.OptionalString(element, "image");
        string? source = RequestBody.OptionalString(element, "source");
        JsonElement? metadata = null;
        if (element.TryGetProperty("metadata", out JsonElement m) && m.ValueKind != JsonValueKind.Null)
            metadata = m.ValueKind == JsonValueKind.Object ? m.Clone() : throw ApiException.BadRequest($"Item '{id}': 'metadata' must be a JSON object.", "metadata");

        float[] vector;
        ImageFingerprint? fingerprint = null;
        if (element.TryGetProperty("vector", out JsonElement v) && v.ValueKind != JsonValueKind.Null)
        {
            vector = ReadVector(v, collection.Dimensions, $"item '{id}'");
        }
        else if (image is not null)
        {
            IndexedImage indexed = await embedder.EmbedForCollectionAsync(image, collection.Model, ct);
            CheckSpace(collection, indexed.Embedding.Space, $"model '{collection.Model}' now embeds in");
            vector = indexed.Embedding.Vector;
            fingerprint = indexed.Fingerprint;
            if (source is null && image.StartsWith("http", StringComparison.OrdinalIgnoreCase)) source = image; // never store a whole data URI
        }
        else
        {
            throw ApiException.BadRequest($"Item '{id}' needs an 'image' (URL or data URI) or a 'vector'.", "items");
        }
        return new CollectionItem(id, vector, metadata, source, fingerprint?.ContentHash, fingerprint?.PerceptualHash);
    }

    private static async Task<ItemResponse> GetItemAsync(string name, string id, CollectionStoreProvider stores, CancellationToken ct)
    {
        id = ItemId(id);
        CollectionItem item = await (await stores.GetAsync()).GetItemAsync(name, id, ct) ?? throw NoItem(name, id);
        return new ItemResponse(item.Id, item.Vector, item.Metadata, item.Source, item.ContentHash,
            item.PerceptualHash is ulong phash ? PerceptualHash.ToHex(phash) : null);
    }

    private static async Task<IResult> ThumbnailAsync(string name, string id, CollectionStoreProvider stores, ContentCache cache, CancellationToken ct)
    {
        id = ItemId(id);
        CollectionItem item = await (await stores.GetAsync()).GetItemAsync(name, id, ct) ?? throw NoItem(name, id);
        byte[] jpeg = (item.ContentHash is { } hash ? cache.GetThumbnail(hash) : null)
            ?? throw new ApiException(StatusCodes.Status404NotFound,
                $"Item '{id}' in collection '{name}' has no thumbnail: it was given as a vector, or added on another node or before thumbnails existed. Upsert it again with its image to make one.", "id");
        // The URL names an item, which can be replaced by another image; the ETag names the content, so a
        // browser revalidates and gets a 304 while the image is unchanged.
        return Results.Bytes(jpeg, "image/jpeg", entityTag: new Microsoft.Net.Http.Headers.EntityTagHeaderValue($"\"{item.ContentHash}\""));
    }

    private static async Task<IResult> DeleteItemAsync(string name, string id, CollectionStoreProvider stores, CancellationToken ct) =>
        await (await stores.GetAsync()).DeleteItemAsync(name, ItemId(id), ct) ? Results.NoContent() : throw NoItem(name, ItemId(id));

    /// <summary>
    /// Ids may hold '/' (folder paths, URLs), sent escaped as %2F. Kestrel decodes every escape in the path
    /// except %2F (so that it cannot change the route), so the route value still holds it: decode it here.
    /// </summary>
    internal static string ItemId(string routeValue) => routeValue.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);

    private static async Task<SearchResponse> SearchAsync(string name, HttpRequest request, CollectionStoreProvider stores, ImageEmbedder embedder, CancellationToken ct)
    {
        ICollectionStore store = await stores.GetAsync();
        CollectionInfo collection = await RequireAsync(store, name, ct);
        using JsonDocument doc = await RequestBody.ReadJsonObjectAsync(request, ct);
        JsonElement root = doc.RootElement;
        string[] given = new[] { "image", "text", "vector", "id" }.Where(f => root.TryGetProperty(f, out JsonElement x) && x.ValueKind != JsonValueKind.Null).ToArray();
        if (given.Length != 1)
            throw ApiException.BadRequest($"Give exactly one of 'image', 'text', 'vector' or 'id' (got {(given.Length == 0 ? "none" : string.Join(", ", given))}).");

        float[] query;
        HashSet<string>? exclude = null;
        switch (given[0])
        {
            case "image":
                ImageEmbedding image = await embedder.EmbedReferenceAsync(RequestBody.OptionalString(root, "image")!, collection.Model, ct);
                CheckSpace(collection, image.Space, $"model '{collection.Model}' now embeds in");
                query = image.Vector;
                break;
            case "text":
                TextEmbeddings text = await embedder.Engine.EmbedTextsAsync([RequestBody.OptionalString(root, "text")!], collection.Model, ct);
                CheckSpace(collection, text.Space, $"model '{collection.Model}' now embeds in");
                query = text.Vectors[0];
                break;
            case "vector":
                CheckSpace(collection, RequestBody.OptionalString(root, "embedding_space"), "the query vector is in");
                query = ReadVector(root.GetProperty("vector"), collection.Dimensions, "the query vector");
                break;
            default:
                string id = RequestBody.OptionalString(root, "id")!;
                query = (await store.GetItemAsync(name, id, ct) ?? throw NoItem(name, id)).Vector;
                exclude = [id];
                break;
        }
        IReadOnlyList<SearchHit> hits = await store.SearchAsync(name, ReadQuery(root, query) with { Exclude = exclude }, ct);
        return new SearchResponse(name, collection.Model, hits.Select(h => new Hit(h.Id, h.Score, h.Metadata, h.Source)).ToArray());
    }

    private static async Task<SearchResponse> RecommendAsync(string name, HttpRequest request, CollectionStoreProvider stores, CancellationToken ct)
    {
        ICollectionStore store = await stores.GetAsync();
        CollectionInfo collection = await RequireAsync(store, name, ct);
        using JsonDocument doc = await RequestBody.ReadJsonObjectAsync(request, ct);
        string[] positive = ReadIds(doc.RootElement, "positive", required: true);
        string[] negative = ReadIds(doc.RootElement, "negative", required: false);
        var positiveVectors = new List<float[]>();
        var negativeVectors = new List<float[]>();
        foreach (string id in positive) positiveVectors.Add((await store.GetItemAsync(name, id, ct) ?? throw NoItem(name, id)).Vector);
        foreach (string id in negative) negativeVectors.Add((await store.GetItemAsync(name, id, ct) ?? throw NoItem(name, id)).Vector);

        float[] query = VectorAnalysis.RecommendationQuery(positiveVectors, negativeVectors);
        IReadOnlyList<SearchHit> hits = await store.SearchAsync(name, ReadQuery(doc.RootElement, query) with { Exclude = positive.Concat(negative).ToHashSet(StringComparer.Ordinal) }, ct);
        return new SearchResponse(name, collection.Model, hits.Select(h => new Hit(h.Id, h.Score, h.Metadata, h.Source)).ToArray());
    }

    private static async Task<DuplicatesResponse> DuplicatesAsync(string name, HttpRequest request, CollectionStoreProvider stores, EmbeddingEngine engine, CancellationToken ct)
    {
        ICollectionStore store = await stores.GetAsync();
        CollectionInfo collection = await RequireAsync(store, name, ct);
        using JsonDocument doc = await ReadOptionalJsonAsync(request, ct);
        JsonElement root = doc.RootElement;
        float threshold = ReadThreshold(root, "threshold") ?? ModelCatalog.DuplicateThreshold(collection.Model, InstalledManifest(engine, collection.Model));
        int phashDistance = DuplicateFinder.DefaultPhashDistance;
        if (root.TryGetProperty("phash_distance", out JsonElement d) && d.ValueKind != JsonValueKind.Null
            && (!d.TryGetInt32(out phashDistance) || phashDistance is < 0 or > 64))
            throw ApiException.BadRequest("'phash_distance' must be an integer within 0..64 (differing bits of the 64-bit perceptual hash).", "phash_distance");
        string kind = RequestBody.OptionalString(root, "kind") ?? "all";
        DuplicateKinds kinds = kind switch
        {
            "all" => DuplicateKinds.All,
            "exact" => DuplicateKinds.Exact,
            "similar" => DuplicateKinds.Similar,
            _ => throw ApiException.BadRequest($"'kind' must be \"all\", \"exact\" or \"similar\" (was \"{kind}\").", "kind"),
        };
        List<CollectionItem> items = await store.ReadAllAsync(name, ct).ToListAsync(ct);
        return new DuplicatesResponse(threshold, phashDistance, kind, DuplicateFinder.Find(items, new DuplicateOptions(threshold, phashDistance, kinds)).ToArray());
    }

    /// <summary>The installed manifest of <paramref name="model"/>, or null when it is no longer installed (the catalog then decides).</summary>
    private static ModelManifest? InstalledManifest(EmbeddingEngine engine, string model)
    {
        try
        {
            return engine.Registry.Find(model).Manifest;
        }
        catch (UnknownModelException)
        {
            return null;
        }
    }

    private static async Task<ClustersResponse> ClustersAsync(string name, HttpRequest request, CollectionStoreProvider stores, CancellationToken ct)
    {
        ICollectionStore store = await stores.GetAsync();
        await RequireAsync(store, name, ct);
        using JsonDocument doc = await ReadOptionalJsonAsync(request, ct);
        float? threshold = ReadThreshold(doc.RootElement, "threshold");
        int? k = doc.RootElement.TryGetProperty("k", out JsonElement kJson) && kJson.ValueKind != JsonValueKind.Null
            ? (kJson.TryGetInt32(out int kv) && kv is >= 1 and <= MaxK ? kv : throw ApiException.BadRequest($"'k' must be an integer within 1..{MaxK}.", "k"))
            : null;
        if (threshold is not null && k is not null) throw ApiException.BadRequest("Give 'threshold' or 'k', not both.");
        List<CollectionItem> items = await store.ReadAllAsync(name, ct).ToListAsync(ct);
        return k is int clusters
            ? new ClustersResponse("kmeans", null, clusters, VectorAnalysis.KMeans(items, clusters).ToArray())
            : new ClustersResponse("threshold", threshold ?? 0.85f, null, VectorAnalysis.ThresholdClusters(items, threshold ?? 0.85f).ToArray());
    }

    internal static async Task<JsonDocument> ReadOptionalJsonAsync(HttpRequest request, CancellationToken ct) =>
        request.ContentLength is > 0 || request.Headers.TransferEncoding.Count > 0
            ? await RequestBody.ReadJsonObjectAsync(request, ct)
            : JsonDocument.Parse("{}");

    private static SearchQuery ReadQuery(JsonElement root, float[] vector)
    {
        int k = 10;
        if (root.TryGetProperty("k", out JsonElement kJson) && kJson.ValueKind != JsonValueKind.Null && (!kJson.TryGetInt32(out k) || k is < 1 or > MaxK))
            throw ApiException.BadRequest($"'k' must be an integer within 1..{MaxK}.", "k");
        float? minScore = ReadThreshold(root, "min_score", allowNegative: true);
        Dictionary<string, JsonElement>? filter = null;
        if (root.TryGetProperty("filter", out JsonElement f) && f.ValueKind != JsonValueKind.Null)
        {
            if (f.ValueKind != JsonValueKind.Object) throw ApiException.BadRequest("'filter' must be an object of metadata key: value (equality).", "filter");
            filter = f.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone(), StringComparer.Ordinal);
        }
        return new SearchQuery(vector, k) { MinScore = minScore, Filter = filter };
    }

    private static float? ReadThreshold(JsonElement root, string name, bool allowNegative = false)
    {
        if (!root.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetSingle(out float f) || f > 1 || f < (allowNegative ? -1 : 0) || float.IsNaN(f))
            throw ApiException.BadRequest($"'{name}' must be a number within {(allowNegative ? "-1" : "0")}..1.", name);
        return f;
    }

    private static float[] ReadVector(JsonElement value, int dimensions, string what)
    {
        if (value.ValueKind != JsonValueKind.Array) throw ApiException.BadRequest($"The vector of {what} must be an array of numbers.", "vector");
        if (value.GetArrayLength() != dimensions)
            throw ApiException.BadRequest($"The vector of {what} has {value.GetArrayLength()} values; this collection holds {dimensions}-d vectors.", "vector");
        float[] vector = new float[dimensions];
        int i = 0;
        foreach (JsonElement x in value.EnumerateArray())
            vector[i++] = x.ValueKind == JsonValueKind.Number && x.TryGetSingle(out float f) && float.IsFinite(f) ? f : throw ApiException.BadRequest($"The vector of {what} must hold finite numbers only.", "vector");
        if (System.Numerics.Tensors.TensorPrimitives.Norm(vector) == 0) throw ApiException.BadRequest($"The vector of {what} is all zeros.", "vector");
        VectorMath.Normalize(vector);
        return vector;
    }

    private static string[] ReadIds(JsonElement root, string name, bool required)
    {
        if (!root.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
            return required ? throw ApiException.BadRequest($"'{name}' must be a non-empty array of item ids.", name) : [];
        if (value.ValueKind != JsonValueKind.Array || (required && value.GetArrayLength() == 0))
            throw ApiException.BadRequest($"'{name}' must be {(required ? "a non-empty" : "an")} array of item ids.", name);
        return value.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()! : throw ApiException.BadRequest($"'{name}' must hold item ids (strings).", name)).ToArray();
    }

    internal static async Task<CollectionInfo> RequireAsync(ICollectionStore store, string name, CancellationToken ct) =>
        await store.GetCollectionAsync(name, ct) ?? throw new CollectionNotFoundException(name);

    private static ApiException NoItem(string collection, string id) => new(StatusCodes.Status404NotFound, $"No item '{id}' in collection '{collection}'.", "id");

    private static CollectionResponse Describe(CollectionInfo c) => new(c.Name, c.Model, c.Dimensions, c.Count, c.Created, c.Space);

    /// <summary>
    /// Vectors of different embedding spaces must never be mixed silently: a collection made in one
    /// space refuses vectors that declare, or come from a model in, another (409 naming both).
    /// </summary>
    private static void CheckSpace(CollectionInfo collection, string? space, string what)
    {
        if (space is null || collection.Space.Length == 0 || space == collection.Space) return;
        throw new CollectionConflictException(
            $"Collection '{collection.Name}' holds vectors of embedding space {collection.Space} (model '{collection.Model}'); {what} {space}. Vectors from different spaces cannot be compared.");
    }
}
