using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;

namespace ImageEmbed.Service.Errors;

/// <summary>
/// Writes error bodies in the two shapes of DESIGN.md: <c>{"error": reason phrase, "message"}</c>
/// everywhere, and the OpenAI envelope <c>{"error": {"message","type","param","code"}}</c> under <c>/v1/embeddings</c>.
/// </summary>
internal static class ErrorWriter
{
    /// <summary>Messages quote names with apostrophes; the default encoder would turn them into \u0027.</summary>
    public static readonly JsonWriterOptions JsonOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static bool UsesOpenAiEnvelope(PathString path) =>
        path.StartsWithSegments("/v1/embeddings", StringComparison.OrdinalIgnoreCase);

    public static async Task WriteAsync(HttpContext context, ApiError error)
    {
        HttpResponse response = context.Response;
        if (response.HasStarted) return;
        response.Clear();
        response.StatusCode = error.Status;
        if (error.Status is 503 or 429)
            response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(error.RetryAfter?.TotalSeconds ?? 1)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        response.ContentType = "application/json; charset=utf-8";
        await using var json = new Utf8JsonWriter(response.Body, JsonOptions);
        json.WriteStartObject();
        if (UsesOpenAiEnvelope(context.Request.Path))
        {
            json.WriteStartObject("error");
            json.WriteString("message", error.Message);
            json.WriteString("type", error.Type);
            WriteNullable(json, "param", error.Param);
            WriteNullable(json, "code", error.Code);
            json.WriteEndObject();
        }
        else
        {
            json.WriteString("error", ReasonPhrases.GetReasonPhrase(error.Status));
            json.WriteString("message", error.Message);
        }
        json.WriteEndObject();
        await json.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    private static void WriteNullable(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null) json.WriteNull(name);
        else json.WriteString(name, value);
    }
}
