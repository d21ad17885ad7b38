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

    /// <summary>Reads a raw body up to <paramref name="maxBytes"/>.</summary>
    public static async Task<byte[]> ReadBytesAsync(HttpRequest request, long maxBytes, CancellationToken ct)
    {
        if (request.ContentLength > maxBytes) throw new Imaging.Intake.ImagePayloadTooLargeException($"The image is {request.ContentLength:N0} bytes; the limit is {maxBytes:N0} (IMAGEEMBED_MAX_BYTES).");
        using var buffer = new MemoryStream();
        byte[] chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > maxBytes) throw new Imaging.Intake.ImagePayloadTooLargeException($"The image is larger than the limit of {maxBytes:N0} bytes (IMAGEEMBED_MAX_BYTES).");
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}
