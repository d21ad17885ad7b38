using System.Collections.Frozen;
using System.Reflection;
using System.Security.Cryptography;
using Microsoft.Net.Http.Headers;

namespace ImageEmbed.Service.Endpoints;

/// <summary>
/// The web UI at <c>/</c> and its files at <c>/ui/...</c>, embedded in the assembly (from <c>wwwroot/</c>)
/// so the service serves it from any folder with no extra files. Served without a key: the page asks
/// for one and sends it on its API calls. A strict Content-Security-Policy allows only this origin
/// (and blob: images, for thumbnails fetched with the key).
/// </summary>
internal static class WebUiEndpoints
{
    private const string ResourcePrefix = "webui/";
    private const string Policy = "default-src 'self'; img-src 'self' blob: data:; script-src 'self'; style-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private sealed record Asset(byte[] Bytes, string ContentType, string ETag);

    private static readonly FrozenDictionary<string, Asset> Assets = Load();

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/", (HttpContext context) => Serve(context, "index.html")).ExcludeFromDescription();
        app.MapGet("/ui/{*file}", (HttpContext context, string file) => Serve(context, file)).ExcludeFromDescription();
    }

    private static IResult Serve(HttpContext context, string file)
    {
        if (!Assets.TryGetValue(file, out Asset? asset)) return Results.NotFound();
        IHeaderDictionary headers = context.Response.Headers;
        headers.ContentSecurityPolicy = Policy;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        // Revalidate every time: the files change with the binary, and a 304 costs nothing.
        headers.CacheControl = "no-cache";
        headers.ETag = asset.ETag;
        if (context.Request.Headers.IfNoneMatch.ToString() == asset.ETag) return Results.StatusCode(StatusCodes.Status304NotModified);
        return Results.Bytes(asset.Bytes, asset.ContentType);
    }

    private static FrozenDictionary<string, Asset> Load()
    {
        Assembly assembly = typeof(WebUiEndpoints).Assembly;
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (string name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            using Stream stream = assembly.GetManifestResourceStream(name)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            byte[] bytes = buffer.ToArray();
            string etag = new EntityTagHeaderValue($"\"{Convert.ToHexStringLower(SHA256.HashData(bytes))[..16]}\"").ToString();
            assets[name[ResourcePrefix.Length..].Replace('\\', '/')] = new Asset(bytes, ContentType(name), etag);
        }
        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static string ContentType(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".png" => "image/png",
        _ => "application/octet-stream",
    };
}
