using System.Text.Json;
using ImageEmbed.Cli.Collections;
using ImageEmbed.Cli.Indexing;
using ImageEmbed.Models.Catalog;
using ImageEmbed.Cli.Infrastructure;
using ImageEmbed.Cli.Reports;
using ImageEmbed.Storage;
using ImageEmbed.Storage.Analysis;

namespace ImageEmbed.Cli.Commands;

/// <summary><c>imageembed dedup</c>: groups of near-duplicate items, as JSON and an optional HTML report.</summary>
internal static class DedupCommand
{
    private static readonly OptionSpec Threshold = new("threshold", null, "T", "Cosine similarity at which two items are 'similar' (0..1; default: the model's calibrated value, 0.95 if none).");
    private static readonly OptionSpec PhashDistance = new("phash-distance", null, "N", "Largest perceptual-hash distance (0..64 bits) at which two items are 'exact' copies (default 10).");
    private static readonly OptionSpec Kind = new("kind", null, "KIND", "all (default), exact or similar: which pairs to report.");

    public static readonly CommandSpec Spec = new(
        "dedup",
        "Find exact and near-duplicate images in a collection; JSON, and an HTML report with thumbnails.",
        "dedup COLLECTION [--threshold T] [--phash-distance N] [--kind all|exact|similar] [-o FILE] [--html FILE] [--server URL]",
        [Threshold, PhashDistance, Kind, ReportOutput.Output, ReportOutput.Html, CollectionAccess.Server, CollectionAccess.ApiKey],
        """
        Two items are duplicates when they are an 'exact' copy (the same bytes, or perceptual hashes within
        --phash-distance bits: re-encoded, resized, slightly cropped) or 'similar' (embedding cosine >=
        --threshold: mirrored, edited, another shot of the same scene). Linked items form a group
        (transitively). JSON: {"collection", "model", "threshold", "phash_distance", "kind", "items",
        "groups": [{"items": [ids], "pairs": [{"a", "b", "score", "kind", "phash_distance"}]}]},
        largest group first, exact pairs first.
        The HTML report shows each group side by side, each image with its best score and kind;
        thumbnails are made from the items' sources (files or URLs) and embedded in the page.
        Reads the local store, or with --server a running service's collection (vectors and thumbnails over its
        API; the grouping is done here). Thresholds and their measured precision: docs/DUPLICATES.md.

        Examples:
          imageembed dedup photos
          imageembed dedup photos --threshold 0.9 --kind similar -o dups.json --html dups.html
        """);

    public static async Task<int> RunAsync(ParsedArgs args, CancellationToken ct)
    {
        if (args.Positionals.Count != 1) throw new UsageException("Give exactly one collection. See 'imageembed dedup --help'.");
        int phashDistance = args.GetInt("phash-distance", DuplicateFinder.DefaultPhashDistance, 0, 64);
        string kindName = args.Get("kind") ?? "all";
        DuplicateKinds kinds = kindName switch
        {
            "all" => DuplicateKinds.All,
            "exact" => DuplicateKinds.Exact,
            "similar" => DuplicateKinds.Similar,
            _ => throw new UsageException($"--kind must be all, exact or similar (was '{kindName}')."),
        };
        await using ICollectionAccess local = await CollectionAccess.OpenAsync(args, ct).ConfigureAwait(false);
        CollectionInfo collection = await local.GetAsync(args.Positionals[0], ct).ConfigureAwait(false);
        float threshold = args.GetFloat("threshold", await local.DuplicateThresholdAsync(collection.Model, ct).ConfigureAwait(false), 0f, 1f);
        List<CollectionItem> items = await local.ReadAllAsync(collection.Name, ct).ToListAsync(ct).ConfigureAwait(false);
        List<DuplicateGroup> groups = DuplicateFinder.Find(items, new DuplicateOptions(threshold, phashDistance, kinds));
        Dictionary<string, CollectionItem> byId = items.ToDictionary(i => i.Id, StringComparer.Ordinal);
        static string Kind(SimilarPair p) => p.Kind == DuplicateKind.Exact ? "exact" : "similar";

        await ReportOutput.WriteJsonAsync(args, json =>
        {
            json.WriteStartObject();
            json.WriteString("collection", collection.Name);
            json.WriteString("model", collection.Model);
            json.WriteNumber("threshold", threshold);
            json.WriteNumber("phash_distance", phashDistance);
            json.WriteString("kind", kindName);
            json.WriteNumber("items", items.Count);
            json.WriteStartArray("groups");
            foreach (DuplicateGroup g in groups)
            {
                json.WriteStartObject();
                json.WriteStartArray("items");
                foreach (string id in g.Items) json.WriteStringValue(id);
                json.WriteEndArray();
                json.WriteStartArray("pairs");
                foreach (SimilarPair p in g.Pairs)
                {
                    json.WriteStartObject();
                    json.WriteString("a", p.A);
                    json.WriteString("b", p.B);
                    json.WriteNumber("score", p.Score);
                    json.WriteString("kind", Kind(p));
                    if (p.PhashDistance is int d) json.WriteNumber("phash_distance", d); else json.WriteNull("phash_distance");
                    json.WriteEndObject();
                }
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }).ConfigureAwait(false);

        string summary = $"{groups.Count} group(s) of near-duplicates ({groups.Sum(g => g.Items.Count)} items) among {items.Count} items of '{collection.Name}' ({collection.Model}) at similarity >= {threshold:0.###}";
        if (args.Get("html") is { } html)
        {
            using var reader = new InputReader();
            var thumbnails = new Thumbnails(reader, (item, token) => local.ThumbnailAsync(collection.Name, item, token));
            await thumbnails.PrepareAsync(groups.SelectMany(g => g.Items).Select(id => byId[id]), ct).ConfigureAwait(false);
            var reportGroups = groups.Select((g, n) =>
            {
                var members = g.Items.Select(id =>
                {
                    // An exact pair says more than any score, so it is the one shown.
                    SimilarPair best = g.Pairs.Where(p => p.A == id || p.B == id).OrderBy(p => p.Kind).ThenByDescending(p => p.Score).First();
                    return new ReportMember(id, byId[id].Source, best.Score, Kind(best), thumbnails.DataUri(id));
                }).ToList();
                return new ReportGroup($"Group {n + 1}: {g.Items.Count} items, best pair {g.Pairs[0].Score:F4} ({Kind(g.Pairs[0])})", members);
            }).ToList();
            await File.WriteAllTextAsync(html, HtmlReport.Render($"Duplicates in '{collection.Name}'", summary, reportGroups), ct).ConfigureAwait(false);
        }
        Console.Error.WriteLine(summary + ".");
        return 0;
    }
}
