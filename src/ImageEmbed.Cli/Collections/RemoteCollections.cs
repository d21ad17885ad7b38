using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ImageEmbed.Cli.Indexing;
using ImageEmbed.Contracts;
using ImageEmbed.Storage;

namespace ImageEmbed.Cli.Collections;

/// <summary>
/// Collections on a running ImageEmbed server (<c>--server URL</c>), through its HTTP API: images go up as
/// files of a multipart upsert and the server embeds them (with its own model, cache and batching); whether a
/// file changed is asked with a HEAD, whose ETag is the stored content hash.
/// A 429 or 503 is retried after the server's Retry-After, up to five times.
/// </summary>
internal sealed class RemoteCollections : ICollectionAccess
{
    private readonly HttpClient _http;

    public RemoteCollections(string server, string? apiKey)
    {
        if (!Uri.TryCreate(server.TrimEnd('/') + "/", UriKind.Absolute, out Uri? address) || address.Scheme is not ("http" or "https"))
            throw new Infrastructure.UsageException($"--server must be an http(s) URL such as http://127.0.0.1:8080 (was '{server}').");
        _http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(5) };
        if (!string.IsNullOrEmpty(apiKey)) _http.DefaultRequestHeaders.Add("x-api-key", apiKey);
        Where = address.ToString();
    }

    public string Where { get; }

    /// <summary>
    /// The server accepts bodies of 1 MiB + 4/3 of its image byte limit: batches of at most 1 MiB of images (sent as
    /// they are, a few hundred bytes of form around each), or one image alone, always fit, whatever that limit is.
    /// Connections break, rather than answer 413, when a body is refused while it is still being sent.
    /// </summary>
    public long MaxBatchBytes => 1024 * 1024 - 64 * 1024;

    public async Task<CollectionInfo> EnsureAsync(string name, string? model, CancellationToken ct)
    {
        CollectionNames.Validate(name);
        using HttpResponseMessage existing = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, Path(name)), ct).ConfigureAwait(false);
        if (existing.StatusCode == HttpStatusCode.OK)
        {
            CollectionInfo info = await ReadInfoAsync(existing, ct).ConfigureAwait(false);
            if (model is null) return info;
        }
        else if (existing.StatusCode != HttpStatusCode.NotFound) throw await ErrorAsync(existing, ct).ConfigureAwait(false);
        // PUT is idempotent and answers 409 naming both models when the collection is another model's.
        using HttpResponseMessage created = await SendAsync(() => new HttpRequestMessage(HttpMethod.Put, Path(name)) { Content = JsonContent.Create(new CreateCollectionRequest(model ?? "default"), ContractsJsonContext.Default.CreateCollectionRequest) }, ct).ConfigureAwait(false);
        return created.IsSuccessStatusCode ? await ReadInfoAsync(created, ct).ConfigureAwait(false) : throw await ErrorAsync(created, ct).ConfigureAwait(false);
    }

    public async Task<CollectionInfo> GetAsync(string name, CancellationToken ct)
    {
        using HttpResponseMessage response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, Path(name)), ct).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound) throw new CollectionNotFoundException(name);
        return response.IsSuccessStatusCode ? await ReadInfoAsync(response, ct).ConfigureAwait(false) : throw await ErrorAsync(response, ct).ConfigureAwait(false);
    }

    public async Task<string?> ContentHashAsync(string collection, string id, CancellationToken ct)
    {
        using HttpResponseMessage response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Head, Path(collection) + "/items/" + Uri.EscapeDataString(id)), ct).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        if (!response.IsSuccessStatusCode) throw new RemoteException($"The server at {Where} answered {(int)response.StatusCode} to HEAD of item '{id}'.");
        return response.Headers.ETag is { IsWeak: false, Tag: { Length: > 2 } tag } ? tag[1..^1] : null;
    }

    public Task<PendingItem> PrepareAsync(CollectionInfo collection, InputImage image, CancellationToken ct) =>
        Task.FromResult(new PendingItem(image.Id, image.Source, image));

    public async Task<IReadOnlyList<IndexFailure>> CommitAsync(CollectionInfo collection, IReadOnlyList<PendingItem> items, CancellationToken ct)
    {
        using HttpResponseMessage response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Post, Path(collection.Name) + "/items") { Content = UpsertForm(items) }, ct).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.RequestEntityTooLarge)
        {
            // The server's body limit follows its IMAGEEMBED_MAX_BYTES: send smaller batches; one image alone over it is that item's failure.
            if (items.Count == 1) return [new IndexFailure(items[0].Source, (await ErrorAsync(response, ct).ConfigureAwait(false)).Message)];
            int half = items.Count / 2;
            return [.. await CommitAsync(collection, items.Take(half).ToList(), ct).ConfigureAwait(false), .. await CommitAsync(collection, items.Skip(half).ToList(), ct).ConfigureAwait(false)];
        }
        if (!response.IsSuccessStatusCode) throw await ErrorAsync(response, ct).ConfigureAwait(false);
        UpsertResponse result = await ReadAsync(response, ContractsJsonContext.Default.UpsertResponse, ct).ConfigureAwait(false);
        return result.Results.Select((r, i) => (Result: r, Item: items[i])).Where(p => p.Result.Status != "ok")
            .Select(p => new IndexFailure(p.Item.Source, p.Result.Error?.Message ?? "failed")).ToList();
    }

    public async Task<IReadOnlyList<SearchHit>> SearchAsync(CollectionInfo collection, SearchRequest request, CancellationToken ct)
    {
        // The format in the data URI is only a label: the server sniffs the bytes.
        var body = new Contracts.SearchRequest(
            Image: request.Text is null && request.Id is null ? "data:image/jpeg;base64," + Convert.ToBase64String(request.Image!.Value.Span) : null,
            Text: request.Text, Id: request.Text is null ? request.Id : null, K: request.K);
        using HttpResponseMessage response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Post, Path(collection.Name) + "/search") { Content = JsonContent.Create(body, ContractsJsonContext.Default.SearchRequest) }, ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode) throw await ErrorAsync(response, ct).ConfigureAwait(false);
        SearchResponse result = await ReadAsync(response, ContractsJsonContext.Default.SearchResponse, ct).ConfigureAwait(false);
        return result.Results.Select(h => new SearchHit(h.Id, h.Score, h.Metadata is { ValueKind: JsonValueKind.Object } m ? m : null, h.Source)).ToList();
    }

    public async IAsyncEnumerable<CollectionItem> ReadAllAsync(string collection, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        const int Page = 1000; // the route's largest page
        for (int offset = 0; ; offset += Page)
        {
            int at = offset;
            using HttpResponseMessage response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, $"{Path(collection)}/items?offset={at}&limit={Page}&vectors=true"), ct).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NotFound) throw new CollectionNotFoundException(collection);
            if (!response.IsSuccessStatusCode) throw await ErrorAsync(response, ct).ConfigureAwait(false);
            ItemPage page = await ReadAsync(response, ContractsJsonContext.Default.ItemPage, ct).ConfigureAwait(false);
            foreach (ItemSummary item in page.Items)
            {
                if (item.Vector is null) throw new RemoteException($"The server at {Where} sent items without vectors: it predates 'vectors=true' on GET .../items.");
                yield return new CollectionItem(item.Id, item.Vector, item.Metadata is { ValueKind: JsonValueKind.Object } m ? m : null, item.Source, item.ContentHash,
                    Imaging.Fingerprint.PerceptualHash.TryParseHex(item.Phash, out ulong phash) ? phash : null);
            }
            if (page.Items.Length < Page || offset + page.Items.Length >= page.Total) yield break;
        }
    }

    public async Task UpsertVectorsAsync(string collection, IReadOnlyList<CollectionItem> items, CancellationToken ct)
    {
        // The service takes at most 256 items an upsert by default (IMAGEEMBED_MAX_ITEMS_PER_UPSERT).
        foreach (CollectionItem[] chunk in items.Chunk(256))
        {
            var body = new VectorUpsertRequest(chunk.Select(i => new VectorItem(i.Id, i.Vector, i.Metadata, i.Source)).ToArray());
            using HttpResponseMessage response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Post, Path(collection) + "/items") { Content = JsonContent.Create(body, ContractsJsonContext.Default.VectorUpsertRequest) }, ct).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode) throw await ErrorAsync(response, ct).ConfigureAwait(false);
            UpsertResponse result = await ReadAsync(response, ContractsJsonContext.Default.UpsertResponse, ct).ConfigureAwait(false);
            if (result.Results.FirstOrDefault(r => r.Status != "ok") is { } failed)
                throw new RemoteException($"The server at {Where} refused item '{failed.Id}': {failed.Error?.Message}");
        }
    }

    /// <summary>The catalog's threshold for the model, which is what the server's duplicates route uses for catalog models.</summary>
    public Task<float> DuplicateThresholdAsync(string model, CancellationToken ct) => Task.FromResult(Models.Catalog.ModelCatalog.DuplicateThreshold(model, null));

    public async Task<byte[]?> ThumbnailAsync(string collection, CollectionItem item, CancellationToken ct)
    {
        using HttpResponseMessage response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, $"{Path(collection)}/items/{Uri.EscapeDataString(item.Id)}/thumbnail"), ct).ConfigureAwait(false);
        return response.IsSuccessStatusCode ? await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false) : null;
    }

    /// <summary>
    /// The multipart upsert: one file part per image (the server sniffs the format; the name is only a label), and
    /// its id, source and metadata as fields in the same order.
    /// </summary>
    private static MultipartFormDataContent UpsertForm(IReadOnlyList<PendingItem> items)
    {
        var form = new MultipartFormDataContent();
        foreach (PendingItem pending in items)
        {
            var image = (InputImage)pending.Payload;
            form.Add(new ReadOnlyMemoryContent(image.Bytes), "file", "image");
            form.Add(new StringContent(image.Id), "id");
            form.Add(new StringContent(image.Source), "source");
            form.Add(new StringContent(image.Metadata is { } m ? m.GetRawText() : ""), "metadata");
        }
        return form;
    }

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }

    private static string Path(string collection) => "v1/collections/" + Uri.EscapeDataString(collection);

    private async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> request, CancellationToken ct)
    {
        for (int attempt = 1; ; attempt++)
        {
            HttpResponseMessage response;
            try
            {
                using HttpRequestMessage message = request();
                response = await _http.SendAsync(message, ct).ConfigureAwait(false);
            }
            catch (HttpRequestException e)
            {
                throw new RemoteException($"Cannot reach the server at {Where}: {e.Message}");
            }
            if (attempt >= 5 || response.StatusCode is not (HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable)) return response;
            TimeSpan wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(attempt);
            response.Dispose();
            await Task.Delay(wait < TimeSpan.FromSeconds(30) ? wait : TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
        }
    }

    private async Task<CollectionInfo> ReadInfoAsync(HttpResponseMessage response, CancellationToken ct)
    {
        CollectionResponse c = await ReadAsync(response, ContractsJsonContext.Default.CollectionResponse, ct).ConfigureAwait(false);
        return new CollectionInfo(c.Name, c.Model, c.Dimensions, c.Count, c.Created, c.EmbeddingSpace ?? "");
    }

    /// <summary>A 2xx body as the API's record; a body that is not one names the server (it may be another program).</summary>
    private async Task<T> ReadAsync<T>(HttpResponseMessage response, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, CancellationToken ct)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync(type, ct).ConfigureAwait(false)
                ?? throw new JsonException("the body is null");
        }
        catch (JsonException e)
        {
            throw new RemoteException($"The server at {Where} answered with a body that is not ImageEmbed's: {e.Message}");
        }
    }

    private async Task<RemoteException> ErrorAsync(HttpResponseMessage response, CancellationToken ct)
    {
        string text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        string message = text;
        try
        {
            using JsonDocument doc = JsonDocument.Parse(text);
            JsonElement error = doc.RootElement.GetProperty("error");
            message = doc.RootElement.TryGetProperty("message", out JsonElement m) ? m.GetString() ?? text
                : error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message", out JsonElement em) ? em.GetString() ?? text : text;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
        }
        return new RemoteException($"The server at {Where} answered {(int)response.StatusCode}: {message}");
    }
}

/// <summary>The server refused a request or could not be reached; the message says which and why.</summary>
internal sealed class RemoteException(string message) : Exception(message);
