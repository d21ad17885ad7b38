using System.Text.Json;
using ImageEmbed.Models.Catalog;
using ImageEmbed.Service.Errors;

namespace ImageEmbed.Service.Endpoints;

/// <summary>Reads request bodies with errors a client can act on, instead of the binder's generic ones.</summary>
internal static class RequestBody
{
    /// <summary>Parses the body as one JSON object.</summary>
    /// <exception cref="ApiException">400 when the body is not a JSON object.</exception>
    /// <remarks>
    /// The document is deliberately never disposed, so its index (an array about the body's size, rented from the shared
    /// pool) goes to the GC instead of back to the pool, which would keep the largest arrays a burst of big bodies rented:
    /// 7 of 32 MB after 16 clients kept sending 17 MB batches (docs/BENCHMARKS.md). The body itself is a plain array too.
    /// </remarks>
    public static async Task<JsonElement> ReadJsonObjectAsync(HttpRequest request, CancellationToken ct)
    {
        ReadOnlyMemory<byte> body = await ReadAllAsync(request, ct).ConfigureAwait(false);
        JsonElement root;
        try
        {
            root = JsonDocument.Parse(body).RootElement;
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest($"Malformed JSON body: {e.Message}");
        }
        if (root.ValueKind != JsonValueKind.Object) throw ApiException.BadRequest("The JSON body must be an object.");
        return root;
    }

    /// <summary>
    /// The whole body, in one array of its exact size when the length is declared. Not pooled on purpose: a shared pool
    /// keeps the largest arrays a burst of big bodies rented (hundreds of MB), while the GC gives these back.
    /// </summary>
    private static async Task<ReadOnlyMemory<byte>> ReadAllAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength is long length)
        {
            // Kestrel refuses a declared length over the limit only once the body is read: refuse it before allocating.
            long? limit = request.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize;
            if (length > (limit ?? Array.MaxLength)) throw new BadHttpRequestException("Request body too large.", StatusCodes.Status413PayloadTooLarge);
            byte[] buffer = GC.AllocateUninitializedArray<byte>(checked((int)length));
            int read = await request.Body.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, ct).ConfigureAwait(false);
            return buffer.AsMemory(0, read);
        }
        using var chunked = new MemoryStream();
        await request.Body.CopyToAsync(chunked, ct).ConfigureAwait(false);
        return chunked.GetBuffer().AsMemory(0, (int)chunked.Length);
    }

    /// <summary>
    /// The optional <c>dimensions</c> field: null for none or the model's own; a smaller size only for a model
    /// trained for truncated (Matryoshka) embeddings. 400 otherwise, naming the field.
    /// </summary>
    public static int? Dimensions(JsonElement root, ModelManifest manifest)
    {
        if (!root.TryGetProperty("dimensions", out JsonElement value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out int dimensions))
            throw ApiException.BadRequest("'dimensions' must be an integer.", "dimensions");
        if (dimensions == manifest.Dimensions) return null;
        if (!manifest.Matryoshka)
            throw ApiException.BadRequest($"Model '{manifest.Name}' does not support 'dimensions' other than its own {manifest.Dimensions}: it was not trained for truncated embeddings.", "dimensions");
        if (dimensions < 1 || dimensions > manifest.Dimensions)
            throw ApiException.BadRequest($"'dimensions' must be within 1..{manifest.Dimensions} for model '{manifest.Name}' (was {dimensions}).", "dimensions");
        return dimensions;
    }

    /// <summary>Reads a multipart form; a malformed one (no or wrong boundary, cut short, too many parts) is a 400.</summary>
    public static async Task<IFormCollection> ReadFormAsync(HttpRequest request, CancellationToken ct)
    {
        try
        {
            return await request.ReadFormAsync(ct).ConfigureAwait(false);
        }
        catch (InvalidDataException e)
        {
            throw ApiException.BadRequest($"Malformed multipart body: {e.Message}");
        }
        catch (IOException e) when (e is not BadHttpRequestException && !ct.IsCancellationRequested)
        {
            // The body ended inside a part: the client's stream, not the server's disk.
            throw ApiException.BadRequest($"Malformed multipart body: {e.Message}");
        }
    }

    /// <summary>
    /// An optional integer field within <paramref name="min"/>..<paramref name="max"/>; 400 naming the field and the
    /// range when present with another type (a string "5" included) or out of range.
    /// </summary>
    public static int? OptionalInt(JsonElement obj, string name, int min, int max, string? meaning = null) =>
        !obj.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null ? null
        : value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int n) && n >= min && n <= max ? n
        : throw ApiException.BadRequest($"'{name}' must be an integer within {min}..{max}{meaning}.", name);

    /// <summary>An optional string field; 400 when present with another type.</summary>
    public static string? OptionalString(JsonElement obj, string name) =>
        !obj.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null ? null
        : value.ValueKind == JsonValueKind.String ? value.GetString()
        : throw ApiException.BadRequest($"Field '{name}' must be a string.", name);
}

internal static class EndpointMetadata
{
    /// <summary>The error statuses every embedding route can answer, for the OpenAPI document.</summary>
    public static RouteHandlerBuilder ProducesApiErrors(this RouteHandlerBuilder builder)
    {
        foreach (int status in new[] { 400, 401, 413, 415, 422, 429, 502, 503, 504 }) builder.Produces(status);
        return builder;
    }
}
