namespace ImageEmbed.Storage.Keys;

/// <summary>
/// What an API key may do. Each scope includes the ones before it: <see cref="Read"/> may also embed,
/// <see cref="Write"/> may also read, and <see cref="Admin"/> may do everything.
/// </summary>
public enum KeyScope
{
    /// <summary>Embeddings, models and classification: nothing stored is read or changed.</summary>
    Embed = 1,

    /// <summary>+ list, get, search, recommend, duplicates, clusters, map and thumbnails of collections.</summary>
    Read = 2,

    /// <summary>+ create, upsert into and delete collections and items, and bulk jobs.</summary>
    Write = 3,

    /// <summary>Everything, including key management. A key given without a scope has this one.</summary>
    Admin = 4,
}

/// <summary>Scope names as users write them (<c>KEY:read</c>, <c>--scope read</c>).</summary>
public static class KeyScopes
{
    public const string Names = "embed, read, write or admin";

    public static string Name(this KeyScope scope) => scope switch
    {
        KeyScope.Embed => "embed",
        KeyScope.Read => "read",
        KeyScope.Write => "write",
        KeyScope.Admin => "admin",
        _ => throw new ArgumentOutOfRangeException(nameof(scope), scope, null),
    };

    public static bool TryParse(string? name, out KeyScope scope)
    {
        scope = name?.Trim().ToLowerInvariant() switch
        {
            "embed" => KeyScope.Embed,
            "read" => KeyScope.Read,
            "write" => KeyScope.Write,
            "admin" => KeyScope.Admin,
            _ => 0,
        };
        return scope != 0;
    }

    /// <summary>The scopes a key with <paramref name="scope"/> holds, narrowest first.</summary>
    public static IEnumerable<string> Allowed(this KeyScope scope) =>
        Enum.GetValues<KeyScope>().Where(s => s <= scope).Select(Name);

    /// <summary>
    /// One <c>IMAGEEMBED_API_KEYS</c> entry: <c>KEY</c> (every scope) or <c>KEY:SCOPE</c>.
    /// </summary>
    /// <returns>False when the entry ends in <c>:</c> and something that is not a scope name.</returns>
    public static bool TryParseEntry(string entry, out string key, out KeyScope scope)
    {
        int colon = entry.LastIndexOf(':');
        if (colon < 0)
        {
            (key, scope) = (entry, KeyScope.Admin);
            return true;
        }
        key = entry[..colon];
        return TryParse(entry[(colon + 1)..], out scope) && key.Length > 0;
    }
}
