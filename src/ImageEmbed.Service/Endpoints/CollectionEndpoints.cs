using System.Text.Json;
using ImageEmbed.Application.Ingest;
using ImageEmbed.Contracts;
using ImageEmbed.Imaging;
using ImageEmbed.Imaging.Fingerprint;
using ImageEmbed.Imaging.Intake;
using ImageEmbed.Models;
using ImageEmbed.Models.Batching;
using ImageEmbed.Models.Catalog;
using ImageEmbed.Models.Embeddings;
using ImageEmbed.Service.Auth;
using ImageEmbed.Service.Errors;
using ImageEmbed.Service.Hosting;
using ImageEmbed.Storage;
using ImageEmbed.Storage.Analysis;
using ImageEmbed.Storage.Keys;

namespace ImageEmbed.Service.Endpoints;

/// <summary>
/// <c>/v1/collections</c>, every route in the table below (handlers for browsing in CollectionEndpoints.Browse.cs): collections of one model's vectors, batch upsert with per-item results,
/// search by image, text, vector or id, recommend, duplicates and clusters.
/// </summary>
internal static partial class CollectionEndpoints
{
    internal const int MaxK = 1000;

    public static void Map(IEndpointRouteBuilder app)
    {
        RouteGroupBuilder group = app.MapGroup("/v1/collections").WithTags("Collections");
        group.MapGet("", ListAsync).RequireScope(KeyScope.Read).WithName("ListCollections");
        group.MapPut("/{name}", CreateAsync).RequireScope(KeyScope.Write).WithName("CreateCollection").WithSummary("Create a collection for a model: {\"model\": \"default\"}. Idempotent; 409 if it exists for another model.").ProducesApiErrors();
        group.MapGet("/{name}", GetAsync).RequireScope(KeyScope.Read).WithName("GetCollection").ProducesApiErrors();
        group.MapDelete("/{name}", DeleteAsync).RequireScope(KeyScope.Write).WithName("DeleteCollection").ProducesApiErrors();
        group.MapPost("/{name}/items", UpsertAsync).RequireScope(KeyScope.Write).WithName("UpsertItems").WithSummary("Upsert {\"items\": [{\"id\", \"image\" | \"vector\", \"metadata\", \"source\"}]}; one result per item.").ProducesApiErrors();
        group.MapGet("/{name}/items", ListItemsAsync).RequireScope(KeyScope.Read).WithName("ListItems").WithSummary("A page of items in id order: ?offset=0&limit=100 (limit at most 1000); &vectors=true adds each vector, content hash and perceptual hash.").ProducesApiErrors();
        group.MapPost("/{name}/map", MapAsync).RequireScope(KeyScope.Read).WithName("CollectionMap").WithSummary("Every item placed in 2-D by its first two principal components (x, y within -1..1), with k-means clusters ({\"k\"}, default about sqrt(n/2)).").ProducesApiErrors();
        group.MapGet("/{name}/items/{id}", GetItemAsync).RequireScope(KeyScope.Read).WithName("GetItem").WithSummary("The item with its vector; its ETag is the content hash of its image.").ProducesApiErrors();
        group.MapMethods("/{name}/items/{id}", [HttpMethods.Head], HeadItemAsync).RequireScope(KeyScope.Read).WithName("HeadItem").WithSummary("200 when the item exists, with its image's content hash (quoted SHA-256) as the ETag and no vector; 404 when not. How 'imageembed index --server' skips unchanged files.").ProducesApiErrors();
        group.MapGet("/{name}/items/{id}/thumbnail", ThumbnailAsync).RequireScope(KeyScope.Read).WithName("GetItemThumbnail").WithSummary("The item's image as a JPEG thumbnail (longest side 256 px); 404 for items given as vectors.").Produces(200, contentType: "image/jpeg").ProducesApiErrors();
        group.MapDelete("/{name}/items/{id}", DeleteItemAsync).RequireScope(KeyScope.Write).WithName("DeleteItem").ProducesApiErrors();
        group.MapPost("/{name}/search", SearchAsync).RequireScope(KeyScope.Read).WithName("Search").WithSummary("Query by exactly one of image, text, vector, id; k, min_score, filter (metadata equality); ef_search (1-1000, more candidates: higher recall on pgvector's HNSW index) or exact (compare with every item).").ProducesApiErrors();
        group.MapPost("/{name}/recommend", RecommendAsync).RequireScope(KeyScope.Read).WithName("Recommend").WithSummary("More like the positive ids, less like the negative ids.").ProducesApiErrors();
        group.MapPost("/{name}/duplicates", DuplicatesAsync).RequireScope(KeyScope.Read).WithName("Duplicates").WithSummary("Groups of duplicates; each pair is \"exact\" (same bytes, or pHash distance <= phash_distance) or \"similar\" (cosine >= threshold, default per model). Options: threshold, phash_distance, kind (all|exact|similar).").ProducesApiErrors();
        group.MapPost("/{name}/clusters", ClustersAsync).RequireScope(KeyScope.Read).WithName("Clusters").WithSummary("Connected groups at threshold (default 0.85), or k-means with k.").ProducesApiErrors();
    }

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
            JsonElement body = await RequestBody.ReadJsonObjectAsync(request, ct);
            model = RequestBody.OptionalString(body, "model");
        }
        LoadedModel loaded = await engine.LoadAsync(model);
        ICollectionStore store = await stores.GetAsync();
        return Describe(await store.CreateCollectionAsync(name, loaded.Name, loaded.Dimensions, loaded.Space, ct));
    }

    private static async Task<CollectionResponse> GetAsync(string name, CollectionStoreProvider stores, CancellationToken ct) =>
        Describe(await RequireAsync(await stores.GetAsync(), name, ct));

    private static async Task<IResult> DeleteAsync(string name, CollectionStoreProvider stores, CancellationToken ct) =>
        await (await stores.GetAsync()).DeleteCollectionAsync(name, ct) ? Results.NoContent() : throw new CollectionNotFoundException(name);

    private static async Task<UpsertResponse> UpsertAsync(string name, HttpRequest request, CollectionStoreProvider stores, ImageIngest ingest, ServiceOptions options, ImagingOptions imaging, CancellationToken ct)
    {
        ICollectionStore store = await stores.GetAsync();
        CollectionInfo collection = await RequireAsync(store, name, ct);
        // The collection's model, resolved once for the request and only when an item has an image; its current
        // embedding space must still be the collection's.
        var model = new Lazy<Task<LoadedModel>>(() => ingest.ModelForAsync(collection));
        IReadOnlyList<UpsertInput> inputs = IsMultipart(request)
            ? await ReadFormItemsAsync(request, options, imaging, ct)
            : await ReadJsonItemsAsync(request, collection, options, ct);

        // Every item is prepared independently (images embedded concurrently, sharing batches): one bad
        // item gets its own error and the rest are stored. An id given twice is ambiguous (which one wins?):
        // each of its items is refused, before any work is done for them.
        Dictionary<string, int> repeated = inputs.Where(i => i.Id is not null).CountBy(i => i.Id!, StringComparer.Ordinal)
            .Where(c => c.Value > 1).ToDictionary(StringComparer.Ordinal);
        using ImageAdmission.Lease admitted = ingest.Engine.Admission.Admit(inputs.Count(i => i.HasImage));
        Task<CollectionItem>[] prepared = inputs.Select(i => i.Id is { } id && repeated.TryGetValue(id, out int times)
            ? Task.FromException<CollectionItem>(ApiException.BadRequest($"Item id '{id}' appears {times} times in this request; give each id once.", "id"))
            : i.PrepareAsync(collection, ingest, model, ct)).ToArray();
        try { await Task.WhenAll(prepared); } catch { /* per-item errors are read below */ }

        var results = new ItemResult[inputs.Count];
        var good = new List<CollectionItem>();
        for (int i = 0; i < inputs.Count; i++)
        {
            if (prepared[i].IsCompletedSuccessfully)
            {
                good.Add(prepared[i].Result);
                results[i] = new ItemResult(inputs[i].Id, "ok", null);
                continue;
            }
            Exception failure = prepared[i].Exception!.InnerException!;
            ApiError error = ErrorMapping.Map(failure) ?? throw failure;
            results[i] = new ItemResult(inputs[i].Id, "error", new ItemError(error.Status, error.Message));
        }
        if (good.Count > 0) await store.UpsertAsync(name, good, ct);
        return new UpsertResponse(good.Count, inputs.Count - good.Count, results);
    }

    private static bool IsMultipart(HttpRequest request) =>
        Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(request.ContentType, out var type)
        && string.Equals(type.MediaType.Value, "multipart/form-data", StringComparison.OrdinalIgnoreCase);

    /// <summary>One item of an upsert, as the request gave it; <see cref="PrepareAsync"/> makes the item to store (or fails for it alone).</summary>
    private abstract record UpsertInput(string? Id)
    {
        /// <summary>Whether preparing it reads and embeds an image (what <see cref="ImageAdmission"/> counts).</summary>
        public abstract bool HasImage { get; }

        public abstract Task<CollectionItem> PrepareAsync(CollectionInfo collection, ImageIngest ingest, Lazy<Task<LoadedModel>> model, CancellationToken ct);
    }

    /// <summary>An item of the JSON form: <c>{"id", "image" | "vector", "metadata", "source"}</c>.</summary>
    private sealed record JsonInput(string? Id, JsonElement Element, string? Space) : UpsertInput(Id)
    {
        public override bool HasImage => Element.ValueKind == JsonValueKind.Object && Element.TryGetProperty("image", out JsonElement image) && image.ValueKind != JsonValueKind.Null;

        public override async Task<CollectionItem> PrepareAsync(CollectionInfo collection, ImageIngest ingest, Lazy<Task<LoadedModel>> model, CancellationToken ct)
        {
            if (Element.ValueKind != JsonValueKind.Object) throw ApiException.BadRequest("Each item must be an object.");
            string id = RequestBody.OptionalString(Element, "id") ?? throw ApiException.BadRequest("Each item needs an 'id' (a string).", "id");
            CollectionNames.ValidateId(id);
            string? image = RequestBody.OptionalString(Element, "image");
            string? source = RequestBody.OptionalString(Element, "source");
            JsonElement? metadata = null;
            if (Element.TryGetProperty("metadata", out JsonElement m) && m.ValueKind != JsonValueKind.Null)
                metadata = m.ValueKind == JsonValueKind.Object ? m.Clone() : throw ApiException.BadRequest($"Item '{id}': 'metadata' must be a JSON object.", "metadata");

            if (Element.TryGetProperty("vector", out JsonElement v) && v.ValueKind != JsonValueKind.Null)
            {
                if (image is not null) throw ApiException.BadRequest($"Item '{id}' has both an 'image' and a 'vector'; give one.", "items");
                return new CollectionItem(id, ReadVector(v, collection.Dimensions, $"item '{id}'"), metadata, source) { Space = Space };
            }
            if (image is null)
                throw ApiException.BadRequest($"Item '{id}' needs an 'image' (URL or data URI) or a 'vector'.", "items");
            LoadedModel loaded = await model.Value;
            ImageContent content = ImageContent.Of(await ingest.ReadAsync(image, ct));
            if (source is null && image.StartsWith("http", StringComparison.OrdinalIgnoreCase)) source = image; // never store a whole data URI
            return await ingest.ItemAsync(loaded, id, content, metadata, source, ct);
        }
    }

    /// <summary>A file of the multipart form, with the id, metadata and source given for it (or its file name).</summary>
    private sealed record FileInput(string? Id, byte[]? Bytes, string? Metadata, string? Source, string? Problem) : UpsertInput(Id)
    {
        public override bool HasImage => Bytes is not null;

        public override async Task<CollectionItem> PrepareAsync(CollectionInfo collection, ImageIngest ingest, Lazy<Task<LoadedModel>> model, CancellationToken ct)
        {
            if (Problem is not null) throw ApiException.BadRequest(Problem, "id");
            string id = Id ?? throw ApiException.BadRequest("A file has no name: give its id in an 'id' field.", "id");
            CollectionNames.ValidateId(id);
            JsonElement? metadata = null;
            if (!string.IsNullOrEmpty(Metadata))
            {
                try { metadata = JsonDocument.Parse(Metadata).RootElement.Clone(); }
                catch (JsonException e) { throw ApiException.BadRequest($"Item '{id}': 'metadata' is not JSON: {e.Message}", "metadata"); }
                if (metadata.Value.ValueKind != JsonValueKind.Object) throw ApiException.BadRequest($"Item '{id}': 'metadata' must be a JSON object.", "metadata");
            }
            LoadedModel loaded = await model.Value;
            return await ingest.ItemAsync(loaded, id, ImageContent.Of(Bytes!), metadata, Source, ct);
        }
    }

    private static async Task<IReadOnlyList<UpsertInput>> ReadJsonItemsAsync(HttpRequest request, CollectionInfo collection, ServiceOptions options, CancellationToken ct)
    {
        JsonElement body = await RequestBody.ReadJsonObjectAsync(request, ct);
        if (!body.TryGetProperty("items", out JsonElement itemsJson) || itemsJson.ValueKind != JsonValueKind.Array || itemsJson.GetArrayLength() == 0)
            throw ApiException.BadRequest("'items' must be a non-empty array of {\"id\", \"image\" | \"vector\", \"metadata\", \"source\"}.", "items");
        string? space = RequestBody.OptionalString(body, "embedding_space");
        collection.RequireSpace(space, "this request's 'embedding_space'");
        if (itemsJson.GetArrayLength() > options.MaxItemsPerUpsert)
            throw ApiException.BadRequest($"'items' has {itemsJson.GetArrayLength()} entries; at most {options.MaxItemsPerUpsert} per request (Service:MaxItemsPerUpsert).", "items");
        return itemsJson.EnumerateArray().Select(e => new JsonInput(
            e.ValueKind == JsonValueKind.Object && e.TryGetProperty("id", out JsonElement id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null,
            e.Clone(), space)).ToArray();
    }

    /// <summary>
    /// The multipart form (<c>curl -F file=@a.jpg -F file=@b.jpg</c>): every file part is an item. Its id is the i-th
    /// <c>id</c> field when the form has them, else the file's own name (directories stripped: the name is the
    /// client's word only); <c>metadata</c> (a JSON object) and <c>source</c> fields pair with the files the same way.
    /// </summary>
    private static async Task<IReadOnlyList<UpsertInput>> ReadFormItemsAsync(HttpRequest request, ServiceOptions options, ImagingOptions imaging, CancellationToken ct)
    {
        IFormCollection form = await RequestBody.ReadFormAsync(request, ct);
        IFormFileCollection files = form.Files;
        if (files.Count == 0) throw ApiException.BadRequest("The form has no files: send each image as a file part (curl -F file=@photo.jpg).", "items");
        if (files.Count > options.MaxItemsPerUpsert)
            throw ApiException.BadRequest($"The form has {files.Count} files; at most {options.MaxItemsPerUpsert} per request (Service:MaxItemsPerUpsert).", "items");
        string?[] ids = Paired(form, "id", files.Count), metadata = Paired(form, "metadata", files.Count), sources = Paired(form, "source", files.Count);

        var inputs = new UpsertInput[files.Count];
        for (int i = 0; i < files.Count; i++)
        {
            string? id = ids[i] ?? NameOf(files[i].FileName);
            try
            {
                byte[] bytes;
                await using (Stream s = files[i].OpenReadStream()) bytes = await CappedReader.ReadAsync(s, files[i].Length, imaging.MaxBytes, ct);
                inputs[i] = new FileInput(id, bytes, metadata[i], sources[i], null);
            }
            catch (ImagePayloadTooLargeException e)
            {
                inputs[i] = new FileInput(id, null, null, null, e.Message);
            }
        }
        return inputs;
    }

    /// <summary>The values of a repeated form field, one per file; none given = all null.</summary>
    private static string?[] Paired(IFormCollection form, string field, int files)
    {
        Microsoft.Extensions.Primitives.StringValues values = form[field];
        if (values.Count == 0) return new string?[files];
        if (values.Count != files)
            throw ApiException.BadRequest($"The form has {values.Count} '{field}' fields for {files} files: give one per file, in the files' order, or none.", field);
        return values.Select(v => string.IsNullOrEmpty(v) ? null : v).ToArray();
    }

    /// <summary>A client's file name as an item id: its last path segment (either separator), or null when empty.</summary>
    private static string? NameOf(string? fileName)
    {
        if (string.IsNullOrWhiteSpace(fileName)) return null;
        string name = fileName[(fileName.LastIndexOfAny(['/', '\\']) + 1)..].Trim();
        return name.Length > 0 ? name : null;
    }

    private static async Task<ItemResponse> GetItemAsync(string name, string id, HttpResponse response, CollectionStoreProvider stores, CancellationToken ct)
    {
        id = ItemId(id);
        CollectionItem item = await (await stores.GetAsync()).GetItemAsync(name, id, ct) ?? throw NoItem(name, id);
        if (item.ContentHash is { } hash) response.Headers.ETag = $"\"{hash}\"";
        return new ItemResponse(item.Id, item.Vector, item.Metadata, item.Source, item.ContentHash,
            item.PerceptualHash is ulong phash ? PerceptualHash.ToHex(phash) : null);
    }

    private static async Task<IResult> HeadItemAsync(string name, string id, HttpResponse response, CollectionStoreProvider stores, CancellationToken ct)
    {
        id = ItemId(id);
        CollectionItem item = await (await stores.GetAsync()).GetItemAsync(name, id, ct) ?? throw NoItem(name, id);
        if (item.ContentHash is { } hash) response.Headers.ETag = $"\"{hash}\"";
        return Results.Ok();
    }

    private static async Task<IResult> ThumbnailAsync(string name, string id, CollectionStoreProvider stores, ImageIngest ingest, CancellationToken ct)
    {
        id = ItemId(id);
        CollectionItem item = await (await stores.GetAsync()).GetItemAsync(name, id, ct) ?? throw NoItem(name, id);
        byte[] jpeg = (item.ContentHash is { } hash ? await ingest.ThumbnailAsync(hash, ct) : null)
            ?? throw new ApiException(StatusCodes.Status404NotFound,
                $"Item '{id}' in collection '{name}' has no thumbnail: it was given as a vector, or added before thumbnails existed (or, with the embedded store, on another machine). Upsert it again with its image to make one.", "id");
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

    private static async Task<SearchResponse> SearchAsync(string name, HttpRequest request, CollectionStoreProvider stores, ImageIngest ingest, CancellationToken ct)
    {
        ICollectionStore store = await stores.GetAsync();
        CollectionInfo collection = await RequireAsync(store, name, ct);
        JsonElement root = await RequestBody.ReadJsonObjectAsync(request, ct);
        string[] given = new[] { "image", "text", "vector", "id" }.Where(f => root.TryGetProperty(f, out JsonElement x) && x.ValueKind != JsonValueKind.Null).ToArray();
        if (given.Length != 1)
            throw ApiException.BadRequest($"Give exactly one of 'image', 'text', 'vector' or 'id' (got {(given.Length == 0 ? "none" : string.Join(", ", given))}).");

        float[] query;
        HashSet<string>? exclude = null;
        switch (given[0])
        {
            case "image":
                using (ingest.Engine.Admission.Admit(1))
                    query = (await ingest.EmbedAsync(await ingest.ModelForAsync(collection), RequestBody.OptionalString(root, "image")!, ct)).Vector;
                break;
            case "text":
                query = (await ingest.Engine.EmbedTextsAsync(await ingest.ModelForAsync(collection), [RequestBody.OptionalString(root, "text")!], ct)).Vectors[0];
                break;
            case "vector":
                collection.RequireSpace(RequestBody.OptionalString(root, "embedding_space"), "the query vector");
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
        JsonElement body = await RequestBody.ReadJsonObjectAsync(request, ct);
        string[] positive = ReadIds(body, "positive", required: true);
        string[] negative = ReadIds(body, "negative", required: false);
        var positiveVectors = new List<float[]>();
        var negativeVectors = new List<float[]>();
        foreach (string id in positive) positiveVectors.Add((await store.GetItemAsync(name, id, ct) ?? throw NoItem(name, id)).Vector);
        foreach (string id in negative) negativeVectors.Add((await store.GetItemAsync(name, id, ct) ?? throw NoItem(name, id)).Vector);

        float[] query = VectorAnalysis.RecommendationQuery(positiveVectors, negativeVectors);
        IReadOnlyList<SearchHit> hits = await store.SearchAsync(name, ReadQuery(body, query) with { Exclude = positive.Concat(negative).ToHashSet(StringComparer.Ordinal) }, ct);
        return new SearchResponse(name, collection.Model, hits.Select(h => new Hit(h.Id, h.Score, h.Metadata, h.Source)).ToArray());
    }

    private static async Task<DuplicatesResponse> DuplicatesAsync(string name, HttpRequest request, CollectionStoreProvider stores, EmbeddingEngine engine, CancellationToken ct)
    {
        ICollectionStore store = await stores.GetAsync();
        CollectionInfo collection = await RequireAsync(store, name, ct);
        JsonElement root = await ReadOptionalJsonAsync(request, ct);
        float threshold = ReadThreshold(root, "threshold") ?? ModelCatalog.DuplicateThreshold(collection.Model, InstalledManifest(engine, collection.Model));
        int phashDistance = RequestBody.OptionalInt(root, "phash_distance", 0, 64, " (differing bits of the 64-bit perceptual hash)") ?? DuplicateFinder.DefaultPhashDistance;
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
        JsonElement body = await ReadOptionalJsonAsync(request, ct);
        float? threshold = ReadThreshold(body, "threshold");
        int? k = RequestBody.OptionalInt(body, "k", 1, MaxK);
        if (threshold is not null && k is not null) throw ApiException.BadRequest("Give 'threshold' or 'k', not both.");
        List<CollectionItem> items = await store.ReadAllAsync(name, ct).ToListAsync(ct);
        return k is int clusters
            ? new ClustersResponse("kmeans", null, clusters, VectorAnalysis.KMeans(items, clusters).ToArray())
            : new ClustersResponse("threshold", threshold ?? 0.85f, null, VectorAnalysis.ThresholdClusters(items, threshold ?? 0.85f).ToArray());
    }

    internal static async Task<JsonElement> ReadOptionalJsonAsync(HttpRequest request, CancellationToken ct) =>
        request.ContentLength is > 0 || request.Headers.TransferEncoding.Count > 0
            ? await RequestBody.ReadJsonObjectAsync(request, ct)
            : JsonElement.Parse("{}");

    private static SearchQuery ReadQuery(JsonElement root, float[] vector)
    {
        int k = RequestBody.OptionalInt(root, "k", 1, MaxK) ?? 10;
        float? minScore = ReadThreshold(root, "min_score", allowNegative: true);
        Dictionary<string, JsonElement>? filter = null;
        if (root.TryGetProperty("filter", out JsonElement f) && f.ValueKind != JsonValueKind.Null)
        {
            if (f.ValueKind != JsonValueKind.Object) throw ApiException.BadRequest("'filter' must be an object of metadata key: value (equality).", "filter");
            filter = f.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone(), StringComparer.Ordinal);
        }
        int? candidates = RequestBody.OptionalInt(root, "ef_search", 1, 1000);
        bool exact = root.TryGetProperty("exact", out JsonElement e) && e.ValueKind != JsonValueKind.Null
            && (e.ValueKind is JsonValueKind.True or JsonValueKind.False ? e.GetBoolean() : throw ApiException.BadRequest("'exact' must be true or false.", "exact"));
        if (exact && candidates is not null) throw ApiException.BadRequest("Give 'exact' or 'ef_search', not both: an exact search considers every item.", "ef_search");
        return new SearchQuery(vector, k) { MinScore = minScore, Filter = filter, Candidates = candidates, Exact = exact };
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
        // Finite numbers of any size have a direction; only all zeros has none.
        if (!VectorMath.TryNormalize(vector)) throw ApiException.BadRequest($"The vector of {what} is all zeros: it has no direction to normalize.", "vector");
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
}
