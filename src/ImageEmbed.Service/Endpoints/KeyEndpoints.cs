using ImageEmbed.Service.Auth;
using ImageEmbed.Storage.Keys;

namespace ImageEmbed.Service.Endpoints;

/// <summary><c>GET /v1/key</c>: what the presented key may do, so a client (the web UI) can check a key and offer only what it allows.</summary>
internal static class KeyEndpoints
{
    public sealed record KeyInfo(string Scope, IReadOnlyList<string> Allows);

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/key", Describe)
            .WithName("GetKey")
            .WithSummary("The presented API key's scope (embed, read, write, admin) and the scopes it includes. 401 for a key the service does not accept.")
            .RequireScope(KeyScope.Embed)
            // Free of the per-key rate limit: a client (the web UI on every load) must be able to check its key
            // even when the minute's allowance is spent. Unknown keys never reach the limiter (401 first).
            .DisableRateLimiting()
            .Produces<KeyInfo>();
    }

    private static KeyInfo Describe(HttpContext context)
    {
        var scope = (KeyScope)context.Items[ApiKeyMiddleware.ScopeItem]!;
        return new KeyInfo(scope.Name(), scope.Allowed().ToList());
    }
}
