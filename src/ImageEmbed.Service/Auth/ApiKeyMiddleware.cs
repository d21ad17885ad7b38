using ImageEmbed.Service.Errors;

namespace ImageEmbed.Service.Auth;

/// <summary>
/// Requires an API key on the API routes (<c>/api</c>, <c>/v1</c>): <c>x-api-key: KEY</c> or
/// <c>Authorization: Bearer KEY</c>. Health, readiness, metrics, the OpenAPI document and the web UI
/// stay open. Stores a tag of the key (not the key) for the rate limiter.
/// </summary>
internal sealed class ApiKeyMiddleware(RequestDelegate next, ApiKeyStore keys, ServiceOptions options)
{
    public const string KeyTagItem = "imageembed.key-tag";
    private static readonly ApiError Unauthorized = new(401, "Invalid or missing API key", "authentication_error", "invalid_api_key");

    public Task InvokeAsync(HttpContext context)
    {
        PathString path = context.Request.Path;
        if (!path.StartsWithSegments("/api") && !path.StartsWithSegments("/v1")) return next(context);

        string? key = PresentedKey(context.Request);
        if (options.NoAuth)
        {
            context.Items[KeyTagItem] = key is null ? "anonymous" : ApiKeyStore.Tag(key);
            return next(context);
        }
        if (key is null || !keys.IsValid(key))
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            return ErrorWriter.WriteAsync(context, Unauthorized);
        }
        context.Items[KeyTagItem] = ApiKeyStore.Tag(key);
        return next(context);
    }

    private static string? PresentedKey(HttpRequest request)
    {
        if (request.Headers["x-api-key"].ToString() is { Length: > 0 } header) return header.Trim();
        string authorization = request.Headers.Authorization.ToString();
        return authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? authorization[7..].Trim() : null;
    }
}
