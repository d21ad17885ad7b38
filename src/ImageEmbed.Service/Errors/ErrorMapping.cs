using ImageEmbed.Imaging.Decode;
using ImageEmbed.Imaging.Intake;
using ImageEmbed.Models.Batching;
using ImageEmbed.Models.Catalog;
using ImageEmbed.Storage;

namespace ImageEmbed.Service.Errors;

/// <summary>A client-facing error: status code, message, and the OpenAI envelope's type/code/param.</summary>
internal readonly record struct ApiError(int Status, string Message, string Type, string? Code, string? Param = null);

/// <summary>
/// The one place where exceptions become HTTP errors. Everything a client can cause maps to a 4xx;
/// upstream failures to 502/504; overload and loading to 503. Only unexpected exceptions are 500.
/// </summary>
internal static class ErrorMapping
{
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
        Storage.PgVector.PgVectorUnavailableException e => new(503, e.Message, "server_error", "store_unavailable"),
        ImageTooLargeException e => new(422, e.Message, "invalid_request_error", "image_too_large", "image"),
        ImageDecodeException e => new(422, $"Unable to process the provided image: {e.Message}", "invalid_request_error", "invalid_image", "image"),
        ImagePayloadTooLargeException e => new(413, e.Message, "invalid_request_error", "payload_too_large", "image"),
        BadHttpRequestException { StatusCode: 413 } => new(413, "The request body is larger than the service accepts (IMAGEEMBED_MAX_BYTES).", "invalid_request_error", "payload_too_large"),
        BadHttpRequestException e => new(e.StatusCode, e.Message, TypeFor(e.StatusCode), CodeFor(e.StatusCode)),
        ImageFetchException e => new(502, e.Message, "upstream_error", "image_fetch_failed", "image"),
        ImageFetchTimeoutException e => new(504, e.Message, "upstream_error", "image_fetch_timeout", "image"),
        OverloadedException e => new(503, e.Message, "server_error", "overloaded"),
        ModelLoadException e => new(503, e.Message, "server_error", "model_unavailable", "model"),
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
