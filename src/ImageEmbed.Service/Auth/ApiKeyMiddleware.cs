using ImageEmbed.Service.Errors;
using ImageEmbed.Storage.Keys;

namespace ImageEmbed.Service.Auth;

/// <summary>
/// Requires an API key on the API routes (<c>/api</c>, <c>/v1</c>): <c>x-api-key: KEY</c> or
/// <c>Authorization: Bearer KEY</c>, whose scope covers the route's <see cref="RequiredScope"/>. Health,
/// readiness, metrics, the OpenAPI document and the web UI stay open. Stores a tag of the key (not the key)
/// for the rate limiter, and its scope for <c>GET /v1/key</c>.
/// </summary>
internal sealed class ApiKeyMiddleware(RequestDelegate next, ApiKeyStore keys, ServiceOptions options)
{
    public const string KeyTagItem = "imageembed.key-tag";
    public const string ScopeItem = "imageembed.key-scope";
    private static readonly ApiError Unauthorized = new(401, "Invalid or missing API key", "authentication_error", "invalid_api_key");

    public Task InvokeAsync(HttpContext context)
    {
        PathString path = context.Request.Path;
        if (!path.StartsWithSegments("/api") && !path.StartsWithSegments("/v1")) return next(context);

        string? key = PresentedKey(context.Request);
        if (options.NoAuth)
        {
            context.Items[KeyTagItem] = key is null ? "anonymous" : ApiKeyStore.Tag(key);
            context.Items[ScopeItem] = KeyScope.Admin;
            return next(context);
        }
        if (key is null || keys.Find(key) is not { } scope)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            return ErrorWriter.WriteAsync(context, Unauthorized);
        }
        // Routes without a declared scope are the fallback and method-mismatch answers (404, 405): any key may see them.
        if (context.GetEndpoint()?.Metadata.GetMetadata<RequiredScope>() is { } required && scope < required.Scope)
            return ErrorWriter.WriteAsync(context, Forbidden(context, scope, required.Scope));
        context.Items[KeyTagItem] = ApiKeyStore.Tag(key);
        context.Items[ScopeItem] = scope;
        return next(context);
    }

    private static ApiError Forbidden(HttpContext context, KeyScope held, KeyScope needed)
    {
        // The route as documented ("/v1/collections/{name}"); a group's own route comes with a trailing '/'.
        string route = ((context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? context.Request.Path.Value ?? "").TrimEnd('/');
        return new ApiError(403,
            $"This API key has the '{held.Name()}' scope; {context.Request.Method} {route} needs the '{needed.Name()}' scope. " +
            $"Use a key made with 'imageembed keys create --scope {needed.Name()}' (or listed in IMAGEEMBED_API_KEYS as KEY:{needed.Name()}).",
            "permission_error", "insufficient_scope");
    }

    private static string? PresentedKey(HttpRequest request)
    {
        if (request.Headers["x-api-key"].ToString() is { Length: > 0 } header) return header.Trim();
        string authorization = request.Headers.Authorization.ToString();
        return authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? authorization[7..].Trim() : null;
    }
}
