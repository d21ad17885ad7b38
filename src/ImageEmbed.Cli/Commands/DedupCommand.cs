using System.Text.Json;
using ImageEmbed.Cli.Collections;
using ImageEmbed.Cli.Indexing;
using ImageEmbed.Cli.Infrastructure;
using ImageEmbed.Cli.Reports;
using ImageEmbed.Storage;
using ImageEmbed.Storage.Analysis;

namespace ImageEmbed.Cli.Commands;

/// <summary><c>imageembed dedup</c>: groups of near-duplicate items, as JSON and an optional HTML report.</summary>
internal static class DedupCommand
{
    private static readonly OptionSpec Threshold = new("threshold", null, "T", "Cosine similarity at which two items are duplicates (0..1; default 0.95).");

    public static readonly CommandSpec Spec = new(
        "dedup",
        "Find groups of near-duplicate images in a collection; JSON, and an HTML report with thumbnails.",
        "dedup COLLECTION [--threshold 0.95] [-o FILE] [--html FILE]",
        [Threshold, ReportOutput.Output, ReportOutput.Html],
        """
        Items whose vectors have cosine similarity >= the threshold are linked; linked items form a group
        (transitively). Each pair has a 'kind': 'exact' when both items hold the same bytes (same
        content hash), else 'similar'. JSON: {"collection", "model", "threshold", "items",
        "groups": [{"items": [ids], "pairs": [{"a", "b", "score", "kind"}]}]}, largest group first.
        The HTML report shows each group side by side, each image with its best score and kind;
        thumbnails are made from the items' sources (files or URLs) and embedded in the page.
        Reads the local store. Good thresholds depend on the model (see README: Collections).

        Examples:
          imageembed dedup photos
          imageembed dedup photos --threshold 0.9 -o dups.json --html dups.html
        """);

    public static async Task<int> RunAsync(ParsedArgs args, CancellationToken ct)
    {
        if (args.Positionals.Count != 1) throw new UsageException("Give exactly one collection. See 'imageembed dedup --help'.");
        float threshold = args.GetFloat("threshold", 0.95f, 0f, 1f);
        await using LocalCollections local = await CollectionAccess.OpenLocalAsync(ct).ConfigureAwait(false);
        CollectionInfo collection = await local.GetAsync(args.Positionals[0], ct).ConfigureAwait(false);
        List<CollectionItem> items = await local.Store.ReadAllAsync(collection.Name, ct).ToListAsync(ct).ConfigureAwait(false);
        List<DuplicateGroup> groups = VectorAnalysis.Duplicates(items, threshold);
        Dictionary<string, CollectionItem> byId = items.ToDictionary(i => i.Id, StringComparer.Ordinal);
        string Kind(SimilarPair p) => ItemContent.HashOf(byId[p.A]) is { } a && a == ItemContent.HashOf(byId[p.B]) ? "exact" : "similar";

        await ReportOutput.WriteJsonAsync(args, json =>
        {
            json.WriteStartObject();
            json.WriteString("collection", collection.Name);
            json.WriteString("model", collection.Model);
            json.WriteNumber("threshold", threshold);
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
            var thumbnails = new Thumbnails(reader);
            await thumbnails.PrepareAsync(groups.SelectMany(g => g.Items).Select(id => byId[id]), ct).ConfigureAwait(false);
            var reportGroups = groups.Select((g, n) =>
            {
                var members = g.Items.Select(id =>
                {
                    SimilarPair best = g.Pairs.Where(p => p.A == id || p.B == id).MaxBy(p => p.Score)!;
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
