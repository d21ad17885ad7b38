using ImageEmbed.Imaging.Decode;
using ImageEmbed.Imaging.Intake;
using ImageEmbed.Models.Batching;
using ImageEmbed.Models.Catalog;
using ImageEmbed.Storage;

namespace ImageEmbed.Service.Errors;

/// <summary>A client-facing error: status code, message, and the OpenAI envelope's type/code/param.</summary>
/// <remarks><see cref="RetryAfter"/> is sent (rounded up to whole seconds, at least 1) with a 429 or 503.</remarks>
internal readonly record struct ApiError(int Status, string Message, string Type, string? Code, string? Param = null, TimeSpan? RetryAfter = null);

/// <summary>
/// The one place where exceptions become HTTP errors. Everything a client can cause maps to a 4xx;
/// upstream failures to 502/504; overload and loading to 503. Only unexpected exceptions are 500.
/// </summary>
internal static class ErrorMapping
{
    /// <summary>While the default model is still being installed or loaded, asking for it is "not yet", not "no such model".</summary>
    public static readonly ApiError Loading = new(503, "The service is still installing or loading its default model (see /readyz); retry shortly.", "server_error", "loading", "model", TimeSpan.FromSeconds(5));

    public static ApiError? Map(Exception exception) => exception switch
    {
        ApiException e => new(e.Status, e.Message, TypeFor(e.Status), CodeFor(e.Status), e.Param),
        BlockedAddressException e => new(400, e.Message, "invalid_request_error", "url_not_allowed", "image"),
        InvalidImageSourceException e => new(400, e.Message, "invalid_request_error", "invalid_image_url", "image"),
        UnknownModelException e => new(400, e.Message, "invalid_request_error", "model_not_found", "model"),
        UnsupportedModalityException e => new(400, e.Message, "invalid_request_error", "unsupported_modality", "input"),
        CollectionNotFoundException e => new(404, e.Message, "invalid_request_error", "collection_not_found", "collection"),
        CollectionConflictException e => new(409, e.Message, "invalid_request_error", "conflict"),
        InvalidStoreRequestException e => new(400, e.Message, "invalid_request_error", "invalid_request"),
        Storage.PgVector.PgVectorUnavailableException e => new(503, e.Message, "server_error", "store_unavailable", RetryAfter: TimeSpan.FromSeconds(2)),
        ImageTooLargeException e => new(422, e.Message, "invalid_request_error", "image_too_large", "image"),
        ImageDecodeException e => new(422, $"Unable to process the provided image: {e.Message}", "invalid_request_error", "invalid_image", "image"),
        ImagePayloadTooLargeException e => new(413, e.Message, "invalid_request_error", "payload_too_large", "image"),
        BadHttpRequestException { StatusCode: 413 } => new(413, "The request body is larger than the service accepts (IMAGEEMBED_MAX_BYTES).", "invalid_request_error", "payload_too_large"),
        BadHttpRequestException e => new(e.StatusCode, e.Message, TypeFor(e.StatusCode), CodeFor(e.StatusCode)),
        ImageFetchException e => new(502, e.Message, "upstream_error", "image_fetch_failed", "image"),
        ImageFetchTimeoutException e => new(504, e.Message, "upstream_error", "image_fetch_timeout", "image"),
        OverloadedException e => new(503, e.Message, "server_error", "overloaded", RetryAfter: e.RetryAfter),
        ModelLoadException e => new(503, e.Message, "server_error", "model_unavailable", "model"),
        // System.Text.Json parses lazily: invalid UTF-8 inside a string, or a lone surrogate escape like "\ud800",
        // surfaces only when a handler reads that string (Source "System.Text.Json.Rethrowable"). Either way the client
        // sent text that is not JSON.
        InvalidOperationException e when e.Source?.StartsWith("System.Text.Json", StringComparison.Ordinal) == true => new(400, $"Malformed JSON body: {e.Message}", "invalid_request_error", "invalid_json"),
        _ => null,
    };

    public static string TypeFor(int status) => status switch
    {
        401 => "authentication_error",
        429 => "rate_limit_error",
        >= 500 => "server_error",
        _ => "invalid_request_error",
    };

    private static string? CodeFor(int status) => status switch
    {
        401 => "invalid_api_key",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        429 => "rate_limit_exceeded",
        _ => null,
    };
}
