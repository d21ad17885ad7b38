using System.Text.Json;
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
