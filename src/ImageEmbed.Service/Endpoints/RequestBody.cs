using System.Text.Json;
using ImageEmbed.Models.Catalog;
using ImageEmbed.Service.Errors;

namespace ImageEmbed.Service.Endpoints;

/// <summary>Reads request bodies with errors a client can act on, instead of the binder's generic ones.</summary>
internal static class RequestBody
{
    /// <summary>Parses the body as one JSON object.</summary>
    /// <exception cref="ApiException">400 when the body is not a JSON object.</exception>
    public static async Task<JsonDocument> ReadJsonObjectAsync(HttpRequest request, CancellationToken ct)
    {
        JsonDocument doc;
        try
        {
            doc = await JsonDocument.ParseAsync(request.Body, default, ct).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest($"Malformed JSON body: {e.Message}");
        }
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
        {
            doc.Dispose();
            throw ApiException.BadRequest("The JSON body must be an object.");
        }
        return doc;
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
