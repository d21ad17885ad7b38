using System.Globalization;
using System.Text.Json;
using ImageEmbed.Cli.Collections;
using ImageEmbed.Cli.Indexing;
using ImageEmbed.Cli.Infrastructure;
using ImageEmbed.Storage;

namespace ImageEmbed.Cli.Commands;

/// <summary><c>imageembed search</c>: the nearest items to a text, an image or a stored item, as a table.</summary>
internal static class SearchCommand
{
    private static readonly OptionSpec Text = new("text", "t", "TEXT", "Search by text (needs a CLIP-family model).");
    private static readonly OptionSpec Image = new("image", "i", "FILE|URL", "Search by an image file or http(s) URL.");
    private static readonly OptionSpec Id = new("id", null, "ID", "Search by a stored item (the item itself is left out).");
    private static readonly OptionSpec K = new("k", "k", "N", "How many results (1..1000; default 10).");
    private static readonly OptionSpec Json = new("json", null, null, "Print JSON ({\"results\": [{id, score, source, metadata}]}) instead of a table.");

    public static readonly CommandSpec Spec = new(
        "search",
        "Find the items of a collection most similar to a text, an image or a stored item.",
        "search COLLECTION (--text TEXT | --image FILE|URL | --id ID) [-k N] [--json] [--server URL]",
        [Text, Image, Id, K, Json, CollectionAccess.Server, CollectionAccess.ApiKey],
        """
        Give exactly one of --text, --image, --id. Prints rank, score (cosine similarity, highest first),
        id and source. Exit code 0, or 1 when the collection or item does not exist.

        Examples:
          imageembed search photos --text "a dog on a beach" -k 5
          imageembed search photos --image query.jpg
          imageembed search photos --id photos/2024/a.jpg --json
        """);

    public static async Task<int> RunAsync(ParsedArgs args, CancellationToken ct)
    {
        if (args.Positionals.Count != 1) throw new UsageException("Give exactly one collection. See 'imageembed search --help'.");
        string[] given = new[] { "text", "image", "id" }.Where(args.Has).ToArray();
        if (given.Length != 1) throw new UsageException($"Give exactly one of --text, --image or --id (got {(given.Length == 0 ? "none" : string.Join(", ", given.Select(g => "--" + g)))}).");
        int k = args.GetInt("k", 10, 1, 1000);

        await using ICollectionAccess access = await CollectionAccess.OpenAsync(args, ct).ConfigureAwait(false);
        CollectionInfo collection = await access.GetAsync(args.Positionals[0], ct).ConfigureAwait(false);
        ReadOnlyMemory<byte>? image = null;
        if (args.Get("image") is { } location)
        {
            if (!IndexInputs.IsUrl(location) && !File.Exists(location)) throw new UsageException($"No such file: {location}");
            using var reader = new InputReader();
            image = await reader.ReadAsync(location, ct).ConfigureAwait(false);
        }
        IReadOnlyList<SearchHit> hits = await access.SearchAsync(collection, new SearchRequest(args.Get("text"), image, args.Get("id"), k), ct).ConfigureAwait(false);

        if (args.Has("json"))
        {
            using var json = new Utf8JsonWriter(Console.OpenStandardOutput(), new JsonWriterOptions { Indented = true });
            json.WriteStartObject();
            json.WriteString("collection", collection.Name);
            json.WriteString("model", collection.Model);
            json.WriteStartArray("results");
            foreach (SearchHit h in hits)
            {
                json.WriteStartObject();
                json.WriteString("id", h.Id);
                json.WriteNumber("score", h.Score);
                json.WriteString("source", h.Source);
                json.WritePropertyName("metadata");
                if (h.Metadata is { } m) m.WriteTo(json); else json.WriteNullValue();
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
            json.Flush();
            Console.WriteLine();
            return 0;
        }
        Console.Write(Table(hits));
        return 0;
    }

    /// <summary>rank, score, id, source; columns sized to their content (ids and sources cut at 60 characters).</summary>
    internal static string Table(IReadOnlyList<SearchHit> hits)
    {
        if (hits.Count == 0) return "no results\n";
        string[][] rows = hits.Select((h, i) => new[] { (i + 1).ToString(CultureInfo.InvariantCulture), h.Score.ToString("F4", CultureInfo.InvariantCulture), Cut(h.Id), Cut(h.Source ?? "") }).ToArray();
        string[] header = ["#", "score", "id", "source"];
        int[] widths = Enumerable.Range(0, 4).Select(c => Math.Max(header[c].Length, rows.Max(r => r[c].Length))).ToArray();
        var sb = new System.Text.StringBuilder();
        void Row(string[] cells) => sb.AppendLine(string.Join("  ", cells.Select((v, c) => c < 2 ? v.PadLeft(widths[c]) : v.PadRight(widths[c]))).TrimEnd());
        Row(header);
        Row(widths.Select(w => new string('-', w)).ToArray());
        foreach (string[] r in rows) Row(r);
        return sb.ToString();
    }

    private static string Cut(string s) => s.Length > 60 ? "..." + s[^57..] : s;
}
