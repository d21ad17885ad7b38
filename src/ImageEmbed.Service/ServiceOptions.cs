using ImageEmbed.Storage.Keys;

namespace ImageEmbed.Service;

/// <summary>HTTP-facing settings. Bound from the <c>Service</c> section / <c>IMAGEEMBED_*</c> variables.</summary>
public sealed class ServiceOptions
{
    /// <summary>
    /// Plain API keys accepted, comma-separated (<c>IMAGEEMBED_API_KEYS</c>), each <c>KEY</c> (every scope) or
    /// <c>KEY:SCOPE</c> (<see cref="KeyScope"/>: embed, read, write, admin). Hashed on load; never logged.
    /// </summary>
    public string ApiKeys { get; set; } = "";

    /// <summary>
    /// Browser origins allowed to call the API from their pages (<c>IMAGEEMBED_CORS_ORIGINS</c>), comma-separated, each
    /// <c>scheme://host[:port]</c>, or <c>*</c> for any. Defaults to none: only pages served by the service itself.
    /// </summary>
    public string CorsOrigins { get; set; } = "";

    /// <summary>Serve without API keys (<c>--no-auth</c>). For local experiments only; a warning is logged at start.</summary>
    public bool NoAuth { get; set; }

    /// <summary>
    /// Where collections live (<c>IMAGEEMBED_STORE</c>): empty for the embedded store (SQLite + in-memory
    /// search in the data folder), or a PostgreSQL connection string or <c>postgres://</c> URL for pgvector.
    /// </summary>
    public string Store { get; set; } = "";

    /// <summary>
    /// Connections this node may open to PostgreSQL (<c>IMAGEEMBED_STORE_POOL_SIZE</c>). 0 = automatic: the image decoders
    /// plus the parallel inference runs plus 4 (8 on 2 cores). A <c>Maximum Pool Size</c> in the connection string wins.
    /// </summary>
    public int StorePoolSize { get; set; }

    /// <summary>
    /// One log line per request (<c>IMAGEEMBED_ACCESS_LOG</c>), through ASP.NET Core's HTTP logging: method, path, status
    /// and duration; never headers (keys) or bodies. Defaults to false.
    /// </summary>
    public bool AccessLog { get; set; }

    /// <summary>Most items in one upsert request. Defaults to 256.</summary>
    public int MaxItemsPerUpsert { get; set; } = 256;

    /// <summary>Requests per minute allowed per API key (<c>IMAGEEMBED_RATE_LIMIT_PER_MINUTE</c>). 0 = unlimited. Defaults to 0.</summary>
    public int RateLimitPerMinute { get; set; }

    /// <summary>Seconds a single inference batch may run before <c>/readyz</c> reports the model stalled. Defaults to 30.</summary>
    public int StallSeconds { get; set; } = 30;

    /// <summary>Most inputs in one <c>/v1/embeddings</c> request. Defaults to 128.</summary>
    public int MaxInputsPerRequest { get; set; } = 128;

    /// <summary>Most URLs in one bulk job (<c>POST /v1/jobs</c>). Defaults to 100,000.</summary>
    public int MaxJobItems { get; set; } = 100_000;

    /// <summary>
    /// Request body bytes read at once across all requests (<c>IMAGEEMBED_MAX_BODY_BYTES_IN_FLIGHT</c>); past it a request
    /// gets 503 with Retry-After before its body is read. Defaults to 256 MiB.
    /// </summary>
    public long MaxBodyBytesInFlight { get; set; } = 256L << 20;

    /// <summary>The entries of <see cref="ApiKeys"/>.</summary>
    /// <exception cref="ArgumentException">An entry names a scope that does not exist (the message does not quote the key).</exception>
    public static IEnumerable<(string Key, KeyScope Scope)> ParseApiKeys(string apiKeys)
    {
        string[] entries = apiKeys.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        for (int i = 0; i < entries.Length; i++)
        {
            if (!KeyScopes.TryParseEntry(entries[i], out string key, out KeyScope scope))
                throw new ArgumentException($"Service:ApiKeys (IMAGEEMBED_API_KEYS): entry {i + 1} ends in ':' and something other than a scope; write KEY or KEY:SCOPE with SCOPE {KeyScopes.Names}.");
            yield return (key, scope);
        }
    }

    /// <summary>The entries of <see cref="CorsOrigins"/>, each checked to be a bare <c>scheme://host[:port]</c> origin.</summary>
    /// <exception cref="ArgumentException">An entry is not an origin.</exception>
    public static IReadOnlyList<string> ParseCorsOrigins(string origins) =>
        origins.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(o =>
            o == "*" || Uri.TryCreate(o, UriKind.Absolute, out Uri? uri) && uri.Scheme is "http" or "https" && uri.PathAndQuery == "/" && !o.EndsWith('/') && uri.UserInfo.Length == 0
                ? o
                : throw new ArgumentException($"Service:CorsOrigins (IMAGEEMBED_CORS_ORIGINS): '{o}' is not an origin; write scheme://host[:port], e.g. https://app.example, with no path or trailing slash.")).ToList();

    public IEnumerable<string> Validate()
    {
        if (Problem(() => ParseApiKeys(ApiKeys).ToList()) is { } keys) yield return keys;
        if (Problem(() => ParseCorsOrigins(CorsOrigins)) is { } origins) yield return origins;
        if (MaxBodyBytesInFlight < 1 << 20) yield return $"Service:MaxBodyBytesInFlight must be at least 1048576 (1 MiB) (was {MaxBodyBytesInFlight}).";
        if (StorePoolSize is < 0 or > 1000) yield return $"Service:StorePoolSize must be 0 (automatic) or 1..1000 (was {StorePoolSize}).";
        if (RateLimitPerMinute < 0) yield return $"Service:RateLimitPerMinute must be 0 (unlimited) or more (was {RateLimitPerMinute}).";
        if (StallSeconds < 1) yield return $"Service:StallSeconds must be at least 1 (was {StallSeconds}).";
        if (MaxItemsPerUpsert is < 1 or > 10_000) yield return $"Service:MaxItemsPerUpsert must be within 1..10000 (was {MaxItemsPerUpsert}).";
        if (MaxJobItems is < 1 or > 10_000_000) yield return $"Service:MaxJobItems must be within 1..10000000 (was {MaxJobItems}).";
        if (MaxInputsPerRequest is < 1 or > 4096) yield return $"Service:MaxInputsPerRequest must be within 1..4096 (was {MaxInputsPerRequest}).";
    }

    /// <summary>The message of the <see cref="ArgumentException"/> <paramref name="parse"/> throws, or null.</summary>
    private static string? Problem(Action parse)
    {
        try
        {
            parse();
            return null;
        }
        catch (ArgumentException e)
        {
            return e.Message;
        }
    }
}
