using System.Text.Json;
using ImageEmbed.Contracts;
using ImageEmbed.Imaging.Fingerprint;
using ImageEmbed.Service.Errors;
using ImageEmbed.Service.Hosting;
using ImageEmbed.Storage;
using ImageEmbed.Storage.Analysis;

namespace ImageEmbed.Service.Endpoints;

/// <summary>
/// Browsing a collection (what the web UI's grid and cluster map need): a page of items without their
/// vectors, and <c>POST /v1/collections/{name}/map</c>, a 2-D map (PCA) coloured by k-means clusters.
/// </summary>
internal static partial class CollectionEndpoints
{
    private const int MaxPageLimit = 1000;

    public sealed record MapResponse(string Collection, string Method, float[] ExplainedVariance, MapPoint[] Points, Cluster[] Clusters);

    private static async Task<ItemPage> ListItemsAsync(string name, HttpRequest request, CollectionStoreProvider stores, CancellationToken ct)
    {
        int offset = QueryInt(request, "offset", 0, 0, int.MaxValue);
        int limit = QueryInt(request, "limit", 100, 1, MaxPageLimit);
        ICollectionStore store = await stores.GetAsync();
        await RequireAsync(store, name, ct);
        // Stores hold no id index to page on; reading the ids is what the duplicates and clusters routes do too.
        var all = new List<ItemSummary>();
        bool vectors = QueryBool(request, "vectors");
        await foreach (CollectionItem item in store.ReadAllAsync(name, ct))
            all.Add(vectors
                ? new ItemSummary(item.Id, item.Metadata, item.Source, item.Vector, item.ContentHash, item.PerceptualHash is ulong phash ? PerceptualHash.ToHex(phash) : null)
                : new ItemSummary(item.Id, item.Metadata, item.Source));
        all.Sort((a, b) => string.CompareOrdinal(a.Id, b.Id));
        return new ItemPage(name, all.Count, offset, limit, all.Skip(offset).Take(limit).ToArray());
    }

    private static async Task<MapResponse> MapAsync(string name, HttpRequest request, CollectionStoreProvider stores, CancellationToken ct)
    {
        ICollectionStore store = await stores.GetAsync();
        await RequireAsync(store, name, ct);
        JsonElement body = await ReadOptionalJsonAsync(request, ct);
        int? k = RequestBody.OptionalInt(body, "k", 1, MaxK);
        List<CollectionItem> items = await store.ReadAllAsync(name, ct).ToListAsync(ct);
        CollectionMapResult map = CollectionMap.Build(items, k);
        return new MapResponse(name, "pca", map.ExplainedVariance, map.Points.ToArray(), map.Clusters.ToArray());
    }

    private static bool QueryBool(HttpRequest request, string name) => request.Query[name].ToString() switch
    {
        "" or "false" => false,
        "true" => true,
        _ => throw ApiException.BadRequest($"'{name}' must be true or false.", name),
    };

    private static int QueryInt(HttpRequest request, string name, int fallback, int min, int max)
    {
        string text = request.Query[name].ToString();
        if (text.Length == 0) return fallback;
        return int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int value) && value >= min && value <= max
            ? value
            : throw ApiException.BadRequest($"'{name}' must be an integer within {min}..{max}.", name);
    }
}
