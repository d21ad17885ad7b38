using System.Globalization;
using System.Text;
using System.Text.Json;
using ImageEmbed.Cli.Collections;
using ImageEmbed.Cli.Infrastructure;
using ImageEmbed.Cli.Transfer;
using ImageEmbed.Storage;

namespace ImageEmbed.Cli.Commands;

/// <summary><c>imageembed export</c>: a collection's items to JSON Lines, CSV, or <c>.npy</c> + an ids file.</summary>
internal static class ExportCommand
{
    private static readonly OptionSpec Output = new("output", "o", "FILE", "Where to write (required): a file, whose extension gives the format (.jsonl, .csv or .npy), or - for standard output (JSON Lines unless --format csv).");
    internal static readonly OptionSpec Format = new("format", "f", "FORMAT", "jsonl, csv or npy, whatever the file is called.");

    public static readonly CommandSpec Spec = new(
        "export",
        "Write every item of a collection (id, vector, metadata, source) to a file.",
        "export COLLECTION -o FILE|- [--format jsonl|csv|npy] [--server URL]",
        [Output, Format, CollectionAccess.Server, CollectionAccess.ApiKey],
        """
        Formats (items in id order, vectors unit length):
          jsonl  one object per line: {"id", "source", "metadata", "model", "embedding_space", "vector": [...]}
          csv    header id,source,metadata,v0,v1,...; metadata is a JSON string
          npy    a float32 (rows, dimensions) NumPy array, plus FILE.ids.txt beside it (vectors.npy ->
                 vectors.ids.txt) with one id per line in row order; metadata is not exported
        Reads the local store (IMAGEEMBED_STORE / IMAGEEMBED_DATA_DIR), or with --server a running service's
        collection. 'imageembed import' reads all three.

        Examples:
          imageembed export photos -o photos.jsonl
          imageembed export photos -o photos.npy     # np.load("photos.npy"), open("photos.ids.txt").read().splitlines()
          imageembed export photos -o - | head -3   # to standard output; stops quietly when the reader closes
        """);

    public static async Task<int> RunAsync(ParsedArgs args, CancellationToken ct)
    {
        if (args.Positionals.Count != 1) throw new UsageException("Give exactly one collection. See 'imageembed export --help'.");
        string path = args.Get("output") ?? throw new UsageException("Give the file to write with -o FILE.");
        bool toStdout = path == OutputFile.StandardOutput;
        VectorFileFormat format = toStdout ? VectorFileFormats.Choose("stdout.jsonl", args.Get("format")) : VectorFileFormats.Choose(path, args.Get("format"));
        if (toStdout && format == VectorFileFormat.Npy)
            throw new UsageException(".npy needs a file (its header is written last, and the ids go to a second file): give -o FILE.npy.");
        await using ICollectionAccess local = await CollectionAccess.OpenAsync(args, ct).ConfigureAwait(false);
        CollectionInfo collection = await local.GetAsync(args.Positionals[0], ct).ConfigureAwait(false);

        long count = 0;
        try
        {
            count = await WriteAsync(path, format, collection, local.ReadAllAsync(collection.Name, ct), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (OutputFile.IsReaderGone(path, e))
        {
            return 0; // '| head' has what it wanted
        }
        Console.Error.WriteLine($"exported {count} item(s) of '{collection.Name}' ({collection.Model}, {collection.Dimensions}-d) to {(toStdout ? "standard output" : path)}" +
            (format == VectorFileFormat.Npy ? $" and {VectorFileFormats.IdsFile(path)}" : ""));
        return 0;
    }

    /// <returns>How many items were written.</returns>
    private static async Task<long> WriteAsync(string path, VectorFileFormat format, CollectionInfo collection, IAsyncEnumerable<CollectionItem> items, CancellationToken ct)
    {
        long count = 0;
        await using (Stream file = OutputFile.Create(path))
        {
            switch (format)
            {
                case VectorFileFormat.JsonLines:
                    await foreach (CollectionItem item in items.ConfigureAwait(false))
                    {
                        using (var json = new Utf8JsonWriter(file))
                        {
                            json.WriteStartObject();
                            json.WriteString("id", item.Id);
                            json.WriteString("source", item.Source);
                            json.WritePropertyName("metadata");
                            if (item.Metadata is { } m) m.WriteTo(json); else json.WriteNullValue();
                            json.WriteString("model", collection.Model);
                            json.WriteString("embedding_space", collection.Space);
                            json.WriteStartArray("vector");
                            foreach (float v in item.Vector) json.WriteNumberValue(v);
                            json.WriteEndArray();
                            json.WriteEndObject();
                        }
                        file.WriteByte((byte)'\n');
                        count++;
                    }
                    break;
                case VectorFileFormat.Csv:
                    await using (var writer = new StreamWriter(file, new UTF8Encoding(false), leaveOpen: true))
                    {
                        await writer.WriteLineAsync("id,source,metadata," + string.Join(',', Enumerable.Range(0, collection.Dimensions).Select(i => "v" + i.ToString(CultureInfo.InvariantCulture)))).ConfigureAwait(false);
                        await foreach (CollectionItem item in items.ConfigureAwait(false))
                        {
                            var line = new StringBuilder();
                            line.Append(Quote(item.Id)).Append(',').Append(Quote(item.Source ?? "")).Append(',').Append(Quote(item.Metadata?.GetRawText() ?? ""));
                            foreach (float v in item.Vector) line.Append(',').Append(v.ToString("R", CultureInfo.InvariantCulture));
                            await writer.WriteLineAsync(line.ToString()).ConfigureAwait(false);
                            count++;
                        }
                    }
                    break;
                case VectorFileFormat.Npy:
                    NpyFile.ReserveHeader(file);
                    await using (var ids = new StreamWriter(VectorFileFormats.IdsFile(path), false, new UTF8Encoding(false)))
                    {
                        await foreach (CollectionItem item in items.ConfigureAwait(false))
                        {
                            NpyFile.WriteRow(file, item.Vector);
                            await ids.WriteLineAsync(item.Id).ConfigureAwait(false);
                            count++;
                        }
                    }
                    NpyFile.WriteHeader(file, count, collection.Dimensions);
                    break;
            }
        }
        return count;
    }

    private static string Quote(string value) =>
        value.IndexOfAny([',', '"', '\n', '\r']) < 0 ? value : "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
