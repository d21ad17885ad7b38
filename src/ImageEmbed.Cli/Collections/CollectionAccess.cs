using ImageEmbed.Cli.Infrastructure;

namespace ImageEmbed.Cli.Collections;

/// <summary>The <c>--server</c> / <c>--api-key</c> options every collection command shares, and what they open.</summary>
internal static class CollectionAccess
{
    public static readonly OptionSpec Server = new("server", null, "URL", "Work against a running ImageEmbed server instead of the local store (e.g. http://127.0.0.1:8080).");
    public static readonly OptionSpec ApiKey = new("api-key", null, "KEY", $"API key for --server (default: ${Settings.ApiKeyVariable}).");

    public static async Task<ICollectionAccess> OpenAsync(ParsedArgs args, CancellationToken ct)
    {
        if (args.Get("server") is { } server)
            return new RemoteCollections(server, args.Get("api-key") ?? Environment.GetEnvironmentVariable(Settings.ApiKeyVariable));
        if (args.Has("api-key")) throw new UsageException("--api-key is only used with --server.");
        return await LocalCollections.OpenAsync(ct).ConfigureAwait(false);
    }

    /// <summary>The local store, for commands that read whole collections (no --server).</summary>
    public static Task<LocalCollections> OpenLocalAsync(CancellationToken ct) => LocalCollections.OpenAsync(ct);
}
