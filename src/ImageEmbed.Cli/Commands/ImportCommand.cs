using System.Globalization;
using System.Text.Json;
using ImageEmbed.Cli.Collections;
using ImageEmbed.Cli.Indexing;
using ImageEmbed.Cli.Infrastructure;
using ImageEmbed.Cli.Transfer;
using ImageEmbed.Models.Embeddings;
using ImageEmbed.Storage;

namespace ImageEmbed.Cli.Commands;

/// <summary><c>imageembed import</c>: items from an <c>export</c> file (JSON Lines, CSV, .npy + ids) into a collection.</summary>
internal static class ImportCommand
{
    private static readonly OptionSpec Model = new("model", "m", "NAME", "Model of a new collection (default: the 'default' model); its dimensions must match the file's.");

    public static readonly CommandSpec Spec = new(
        "import",
        "Add the items of an exported file (JSON Lines, CSV, or .npy with its .ids.txt) to a collection.",
        "import COLLECTION FILE [--model NAME] [--format jsonl|csv|npy] [--server URL]",
        [Model, ExportCommand.Format, CollectionAccess.Server, CollectionAccess.ApiKey],
        """
        Reads the formats 'imageembed export' writes. Items are upserted by id (an existing id is
        replaced). Vectors are normalized to unit length. The collection is created for --model when
        missing; every vector must have the collection's dimensions. A JSON Lines file from another
        embedding space (its 'embedding_space' differs from the collection's) is refused: vectors of
        different models or model versions cannot be compared. CSV and .npy carry no space: make sure
        they come from the same model. Writes the local store (IMAGEEMBED_STORE / IMAGEEMBED_DATA_DIR), or with
        --server a running service's collection (in upserts of 256).

        Examples:
          imageembed import photos photos.jsonl
          imageembed import photos vectors.npy --model mobilenet-v2-140
        """);

    public static async Task<int> RunAsync(ParsedArgs args, CancellationToken ct)
    {
        if (args.Positionals.Count != 2) throw new UsageException("Give a collection and a file. See 'imageembed import --help'.");
        string path = args.Positionals[1];
        if (!File.Exists(path)) throw new UsageException($"No such file: {path}");
        VectorFileFormat format = VectorFileFormats.Choose(path, args.Get("format"));
        List<CollectionItem> items = format switch
        {
            VectorFileFormat.JsonLines => ReadJsonLines(path),
            VectorFileFormat.Csv => ReadCsv(path),
            _ => ReadNpy(path),
        };

        await using ICollectionAccess local = await CollectionAccess.OpenAsync(args, ct).ConfigureAwait(false);
        CollectionInfo collection = await local.EnsureAsync(args.Positionals[0], args.Get("model"), ct).ConfigureAwait(false);
        foreach (CollectionItem item in items)
        {
            if (item.Vector.Length != collection.Dimensions)
                throw new InvalidDataException($"{path}: item '{item.Id}' has {item.Vector.Length} values; collection '{collection.Name}' holds {collection.Dimensions}-d vectors ({collection.Model}).");
            // All checked before anything is written (the store checks each batch again).
            collection.RequireSpace(item.Space, $"{path}: item '{item.Id}'");
            CollectionNames.ValidateId(item.Id);
            // Exported vectors are unit length already: leave them bit for bit as they were.
            float norm = System.Numerics.Tensors.TensorPrimitives.Norm(item.Vector);
            if (!(Math.Abs(norm - 1) <= 1e-5f) && !VectorMath.TryNormalize(item.Vector))
                throw new InvalidDataException($"{path}: item '{item.Id}' has an all-zero or non-finite vector.");
        }
        await local.UpsertVectorsAsync(collection.Name, items, ct).ConfigureAwait(false);
        long count = (await local.GetAsync(collection.Name, ct).ConfigureAwait(false)).Count;
        Console.Error.WriteLine($"imported {items.Count} item(s) into '{collection.Name}' ({collection.Model}); it has {count} item(s).");
        return 0;
    }

    private static List<CollectionItem> ReadJsonLines(string path)
    {
        var items = new List<CollectionItem>();
        int n = 0;
        foreach (string line in File.ReadLines(path))
        {
            n++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                using JsonDocument doc = JsonDocument.Parse(line);
                JsonElement root = doc.RootElement;
                string id = root.GetProperty("id").GetString() ?? throw new InvalidDataException("'id' is null");
                float[] vector = root.GetProperty("vector").EnumerateArray().Select(v => v.GetSingle()).ToArray();
                JsonElement? metadata = root.TryGetProperty("metadata", out JsonElement m) && m.ValueKind == JsonValueKind.Object ? m.Clone() : null;
                string? source = root.TryGetProperty("source", out JsonElement s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
                string? space = root.TryGetProperty("embedding_space", out JsonElement e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;
                items.Add(new CollectionItem(id, vector, metadata, source) { Space = space });
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                throw new InvalidDataException($"{path}:{n}: not an exported item ({{\"id\", \"vector\", ...}}): {e.Message}");
            }
        }
        return items;
    }

    private static List<CollectionItem> ReadCsv(string path)
    {
        var items = new List<CollectionItem>();
        string[] lines = File.ReadAllLines(path);
        if (lines.Length == 0 || !lines[0].StartsWith("id,source,metadata", StringComparison.Ordinal))
            throw new InvalidDataException($"{path}: expected the header 'id,source,metadata,v0,...' that 'imageembed export' writes.");
        for (int n = 1; n < lines.Length; n++)
        {
            if (string.IsNullOrWhiteSpace(lines[n])) continue;
            string[] fields = IndexInputs.Split(lines[n], ',');
            try
            {
                float[] vector = fields.Skip(3).Select(f => float.Parse(f, CultureInfo.InvariantCulture)).ToArray();
                JsonElement? metadata = fields[2].Length > 0 ? JsonDocument.Parse(fields[2]).RootElement.Clone() : null;
                items.Add(new CollectionItem(fields[0], vector, metadata, fields[1].Length > 0 ? fields[1] : null));
            }
            catch (Exception e) when (e is FormatException or JsonException or IndexOutOfRangeException)
            {
                throw new InvalidDataException($"{path}:{n + 1}: {e.Message}");
            }
        }
        return items;
    }

    private static List<CollectionItem> ReadNpy(string path)
    {
        float[][] rows = NpyFile.Read(path);
        string idsPath = VectorFileFormats.IdsFile(path);
        if (!File.Exists(idsPath)) throw new InvalidDataException($"{path} needs its ids file {idsPath} (one id per line, in row order).");
        string[] ids = File.ReadAllLines(idsPath).Where(l => l.Length > 0).ToArray();
        if (ids.Length != rows.Length) throw new InvalidDataException($"{idsPath} has {ids.Length} ids for {rows.Length} rows in {path}.");
        return rows.Select((r, i) => new CollectionItem(ids[i], r)).ToList();
    }
}
