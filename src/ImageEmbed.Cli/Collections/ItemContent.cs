using System.Text.Json;
using System.Text.Json.Nodes;
using ImageEmbed.Storage;

namespace ImageEmbed.Cli.Collections;

/// <summary>
/// How an indexed item records the content hash of its bytes: the <c>content_hash</c> metadata key
/// (hex SHA-256), beside any metadata of its own. A re-run compares it to skip unchanged inputs.
/// </summary>
internal static class ItemContent
{
    public const string HashKey = "content_hash";

    public static string? HashOf(JsonElement? metadata) =>
        metadata is { ValueKind: JsonValueKind.Object } m && m.TryGetProperty(HashKey, out JsonElement h) && h.ValueKind == JsonValueKind.String ? h.GetString() : null;

    public static string? HashOf(CollectionItem item) => HashOf(item.Metadata);

    /// <summary>The metadata to store: the input's own (list columns) plus the content hash.</summary>
    public static JsonElement Metadata(IReadOnlyDictionary<string, string>? extra, string contentHash)
    {
        var obj = new JsonObject();
        if (extra is not null) foreach ((string k, string v) in extra) obj[k] = v;
        obj[HashKey] = contentHash;
        return JsonSerializer.SerializeToElement(obj);
    }
}
