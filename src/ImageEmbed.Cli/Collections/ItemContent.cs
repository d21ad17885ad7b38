using System.Text.Json;
using System.Text.Json.Nodes;

namespace ImageEmbed.Cli.Collections;

/// <summary>The metadata an indexed item is stored with: the extra columns of its URL list, if any.</summary>
internal static class ItemContent
{
    public static JsonElement? Metadata(IReadOnlyDictionary<string, string>? extra)
    {
        if (extra is null || extra.Count == 0) return null;
        var obj = new JsonObject();
        foreach ((string k, string v) in extra) obj[k] = v;
        return JsonSerializer.SerializeToElement(obj);
    }
}
