using ImageEmbed.Service.Endpoints;
using Microsoft.AspNetCore.Cors.Infrastructure;

namespace ImageEmbed.Service.Auth;

/// <summary>
/// CORS for <see cref="ServiceOptions.CorsOrigins"/>: pages on those origins may call the API from the browser with
/// a key in <c>x-api-key</c> or <c>Authorization</c>. Preflights are answered before the key check (a browser sends
/// them without the key); an origin not listed gets no <c>Access-Control-Allow-*</c> header, so its page cannot read
/// an answer. No credentials mode: keys travel in headers, never in cookies.
/// </summary>
internal static class BrowserOrigins
{
    public static readonly string[] AllowedHeaders = ["x-api-key", "authorization", "content-type"];

    /// <summary>What a page may read besides the CORS-safelisted headers.</summary>
    public static readonly string[] ExposedHeaders = [EmbeddingJson.SpaceHeader, "Server-Timing", "Retry-After", "ETag", "WWW-Authenticate"];

    public static void Configure(CorsOptions cors, ServiceOptions service)
    {
        IReadOnlyList<string> origins = ServiceOptions.ParseCorsOrigins(service.CorsOrigins);
        cors.AddDefaultPolicy(policy =>
        {
            if (origins.Contains("*")) policy.AllowAnyOrigin();
            else policy.WithOrigins([.. origins]);
            policy.WithHeaders(AllowedHeaders)
                .WithMethods(HttpMethods.Get, HttpMethods.Head, HttpMethods.Post, HttpMethods.Put, HttpMethods.Delete)
                .WithExposedHeaders(ExposedHeaders)
                .SetPreflightMaxAge(TimeSpan.FromMinutes(10));
        });
    }
}
