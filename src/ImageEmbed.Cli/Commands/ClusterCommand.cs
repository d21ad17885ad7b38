using System.Numerics.Tensors;
using ImageEmbed.Cli.Collections;
using ImageEmbed.Cli.Indexing;
using ImageEmbed.Cli.Infrastructure;
using ImageEmbed.Cli.Reports;
using ImageEmbed.Models.Embeddings;
using ImageEmbed.Storage;
using ImageEmbed.Storage.Analysis;

namespace ImageEmbed.Cli.Commands;

/// <summary><c>imageembed cluster</c>: groups of similar items (threshold or k-means), as JSON and an optional HTML report.</summary>
internal static class ClusterCommand
{
    private const int ShownPerCluster = 40;
    private static readonly OptionSpec Threshold = new("threshold", null, "T", "Connected groups of items linked at cosine similarity >= T (0..1; default 0.85).");
    private static readonly OptionSpec K = new("k", "k", "N", "Instead: exactly N clusters by spherical k-means (1..1000, deterministic).");

    public static readonly CommandSpec Spec = new(
        "cluster",
        "Group a collection's images into clusters; JSON, and an HTML report with thumbnails.",
        "cluster COLLECTION [--threshold 0.85 | -k N] [-o FILE] [--html FILE] [--server URL]",
        [Threshold, K, ReportOutput.Output, ReportOutput.Html, CollectionAccess.Server, CollectionAccess.ApiKey],
        """
        With --threshold (the default, 0.85), items linked at cosine similarity >= T are grouped
        transitively; every item is in one cluster, singletons included. With -k N, spherical k-means
        (k-means++ seeding from a fixed seed) makes N clusters. Clusters are numbered largest first.
        JSON: {"collection", "model", "method": "threshold"|"kmeans", "threshold"|"k", "items",
        "clusters": [{"index", "items": [ids], "cohesion"}]}; cohesion = mean similarity to the
        cluster's centroid. The HTML report shows clusters of 2 or more, each image with its similarity
        to the centroid (up to 40 per cluster). Reads the local store, or with --server a running service's
        collection (vectors and thumbnails over its API; the clustering is done here).

        Examples:
          imageembed cluster photos --html clusters.html
          imageembed cluster photos -k 12 -o clusters.json
        """);

    public static async Task<int> RunAsync(ParsedArgs args, CancellationToken ct)
    {
        if (args.Positionals.Count != 1) throw new UsageException("Give exactly one collection. See 'imageembed cluster --help'.");
        if (args.Has("threshold") && args.Has("k")) throw new UsageException("Give --threshold or -k, not both.");
        float threshold = args.GetFloat("threshold", 0.85f, 0f, 1f);
        int? k = args.Has("k") ? args.GetInt("k", 8, 1, 1000) : null;
        await using ICollectionAccess local = await CollectionAccess.OpenAsync(args, ct).ConfigureAwait(false);
        CollectionInfo collection = await local.GetAsync(args.Positionals[0], ct).ConfigureAwait(false);
        List<CollectionItem> items = await local.ReadAllAsync(collection.Name, ct).ToListAsync(ct).ConfigureAwait(false);
        List<Cluster> clusters = k is int n ? VectorAnalysis.KMeans(items, n) : VectorAnalysis.ThresholdClusters(items, threshold);

        await ReportOutput.WriteJsonAsync(args, json =>
        {
            json.WriteStartObject();
            json.WriteString("collection", collection.Name);
            json.WriteString("model", collection.Model);
            json.WriteString("method", k is null ? "threshold" : "kmeans");
            if (k is int kk) json.WriteNumber("k", kk); else json.WriteNumber("threshold", threshold);
            json.WriteNumber("items", items.Count);
            json.WriteStartArray("clusters");
            foreach (Cluster c in clusters)
            {
                json.WriteStartObject();
                json.WriteNumber("index", c.Index);
                json.WriteStartArray("items");
                foreach (string id in c.Items) json.WriteStringValue(id);
                json.WriteEndArray();
                json.WriteNumber("cohesion", c.Cohesion);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }).ConfigureAwait(false);

        int grouped = clusters.Count(c => c.Items.Count > 1);
        string summary = k is null
            ? $"{clusters.Count} cluster(s) at similarity >= {threshold:0.###}, {grouped} with 2 or more items, over {items.Count} items of '{collection.Name}' ({collection.Model})"
            : $"{clusters.Count} k-means cluster(s) over {items.Count} items of '{collection.Name}' ({collection.Model})";
        if (args.Get("html") is { } html)
        {
            Dictionary<string, CollectionItem> byId = items.ToDictionary(i => i.Id, StringComparer.Ordinal);
            var shown = clusters.Where(c => c.Items.Count > 1)
                .Select(c => (Cluster: c, Members: Ranked(c, byId).Take(ShownPerCluster).ToList()))
                .ToList();
            using var reader = new InputReader();
            var thumbnails = new Thumbnails(reader, (item, token) => local.ThumbnailAsync(collection.Name, item, token));
            await thumbnails.PrepareAsync(shown.SelectMany(s => s.Members).Select(m => byId[m.Id]), ct).ConfigureAwait(false);
            var groups = shown.Select(s => new ReportGroup(
                $"Cluster {s.Cluster.Index + 1}: {s.Cluster.Items.Count} items, cohesion {s.Cluster.Cohesion:F4}",
                s.Members.Select(m => new ReportMember(m.Id, byId[m.Id].Source, m.Score, null, thumbnails.DataUri(m.Id))).ToList(),
                s.Cluster.Items.Count - s.Members.Count)).ToList();
            await File.WriteAllTextAsync(html, HtmlReport.Render($"Clusters of '{collection.Name}'", summary, groups), ct).ConfigureAwait(false);
        }
        Console.Error.WriteLine(summary + ".");
        return 0;
    }

    /// <summary>A cluster's members with their similarity to its centroid, most typical first.</summary>
    private static IEnumerable<(string Id, float Score)> Ranked(Cluster cluster, Dictionary<string, CollectionItem> byId)
    {
        float[] centroid = new float[byId[cluster.Items[0]].Vector.Length];
        foreach (string id in cluster.Items) TensorPrimitives.Add(centroid, byId[id].Vector, centroid);
        VectorMath.Normalize(centroid);
        return cluster.Items.Select(id => (id, TensorPrimitives.Dot(byId[id].Vector, centroid))).OrderByDescending(m => m.Item2).ThenBy(m => m.id, StringComparer.Ordinal);
    }
}
