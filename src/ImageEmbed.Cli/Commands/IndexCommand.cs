using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using ImageEmbed.Cli.Collections;
using ImageEmbed.Cli.Indexing;
using ImageEmbed.Cli.Infrastructure;
using ImageEmbed.Imaging.Decode;
using ImageEmbed.Models.Execution;
using ImageEmbed.Imaging.Fingerprint;
using ImageEmbed.Imaging.Intake;
using ImageEmbed.Storage;

namespace ImageEmbed.Cli.Commands;

/// <summary>
/// <c>imageembed index</c>: folders, files and URL lists into a collection. Inputs are read and hashed in
/// parallel; unchanged ones (same id, same content hash) are skipped before any decoding; the rest are
/// embedded (parallel decode, batched inference) and written in batches by one writer, so a killed run
/// loses at most the batch in flight and a re-run picks up the rest without duplicates.
/// </summary>
internal static class IndexCommand
{
    private const int CommitBatch = 32;

    private static readonly OptionSpec Model = new("model", "m", "NAME", "Model for a new collection (default: the 'default' model). An existing collection keeps its own.");
    private static readonly OptionSpec Report = new("report", null, "FILE", "Write a JSON report (counts and every failure with its reason) to FILE.");
    private static readonly OptionSpec Quiet = new("quiet", "q", null, "No progress bar and no summary (failures are still reported).");

    public static readonly CommandSpec Spec = new(
        "index",
        "Add image folders, files and URL lists to a collection; re-runs embed only what is new or changed.",
        "index COLLECTION [--model NAME] [--server URL] [--report FILE] PATH|LIST|URL...",
        [Model, CollectionAccess.Server, CollectionAccess.ApiKey, Report, Quiet],
        """
        Inputs:
          FOLDER   searched recursively for .jpg .jpeg .png .webp .gif .tif .tiff .avif .heic .heif files
                   (and .svg .bmp, which are refused and reported); the format is read from the bytes;
                   item id = the folder's name + '/' + the path below it (photos/2024/a.jpg)
          FILE     an image file; item id = its file name
          LIST     a .txt/.urls/.list file (one http(s) URL per line) or .csv/.tsv (a column named url,
                   image, image_url, src or source; optional id column; other columns become metadata;
                   without a header, the first URL on each line); item id = the id column, else the URL.
                   Blank lines and lines starting with # are skipped.
          URL      an http(s) image URL; item id = the URL
        URLs are fetched with the service's rules: private and loopback addresses are refused unless
        IMAGEEMBED_ALLOW_PRIVATE_URLS or IMAGEEMBED_ALLOWED_PRIVATE_HOSTS allows them.

        Each item stores the SHA-256 of its bytes (content_hash) and a perceptual hash. An input whose id
        is stored with the same content hash is skipped without decoding; a changed file is embedded
        again and replaced. Embeddings and thumbnails are also kept by content hash in the data folder's
        content cache (shared with the service): the same bytes are never embedded twice by one model,
        whatever their name or collection.
        Items whose files were deleted are left in the collection. An interrupted run (Ctrl+C, kill,
        crash) keeps everything written so far; run the same command again to finish.

        A file that cannot be read or embedded is reported with its reason and never stops the run; the
        exit code is then 1 (0 when everything was indexed or unchanged, 2 for usage errors). The
        collection is created when missing. Without --server, the local store is used
        (IMAGEEMBED_STORE, default the SQLite store in IMAGEEMBED_DATA_DIR): do not do that while a
        server uses the same data folder; send to the server with --server instead.

        Examples:
          imageembed index photos ~/Pictures
          imageembed index products urls.csv --report failures.json
          imageembed index photos ~/Pictures --server http://127.0.0.1:8080 --api-key $KEY
        """);

    public static async Task<int> RunAsync(ParsedArgs args, CancellationToken cancellationToken)
    {
        if (args.Positionals.Count < 2) throw new UsageException("Give a collection and at least one folder, file, URL list or URL. See 'imageembed index --help'.");
        string name = args.Positionals[0];
        CollectionNames.Validate(name);
        var failures = new List<IndexFailure>();
        List<IndexSource> sources = IndexInputs.Expand(args.Positionals.Skip(1), failures);
        if (sources.Count == 0 && failures.Count == 0) throw new UsageException("No image files or URLs found in the given inputs.");

        bool quiet = args.Has("quiet");
        await using ICollectionAccess access = await CollectionAccess.OpenAsync(args, cancellationToken).ConfigureAwait(false);
        using var reader = new InputReader();
        CollectionInfo collection = await access.EnsureAsync(name, args.Get("model"), cancellationToken).ConfigureAwait(false);
        long before = collection.Count;

        var progress = new ProgressReporter("indexing", sources.Count, Console.Error, interactive: !Console.IsErrorRedirected, enabled: !quiet && sources.Count > 1);
        foreach (IndexFailure f in failures) progress.Message($"error: {f.Source}: {f.Error}");
        var failuresLock = new Lock();
        void Fail(string source, string error)
        {
            lock (failuresLock) failures.Add(new IndexFailure(source, error));
            progress.Message($"error: {source}: {error}");
        }

        int skipped = 0, indexed = 0;
        var pending = Channel.CreateBounded<(PendingItem Item, long Bytes)>(new BoundedChannelOptions(CommitBatch * 2) { SingleReader = true });
        Task writer = Task.Run(async () =>
        {
            var batch = new List<PendingItem>(CommitBatch);
            long bytes = 0;
            async Task FlushAsync()
            {
                if (batch.Count == 0) return;
                // Written even when the run is being cancelled: what was embedded is kept.
                IReadOnlyList<IndexFailure> failed = await access.CommitAsync(collection, batch, CancellationToken.None).ConfigureAwait(false);
                foreach (IndexFailure f in failed) Fail(f.Source, f.Error);
                var failedSources = failed.Select(f => f.Source).ToHashSet(StringComparer.Ordinal);
                foreach (PendingItem item in batch)
                {
                    bool ok = !failedSources.Contains(item.Source);
                    if (ok) Interlocked.Increment(ref indexed);
                    progress.Advance(failed: !ok);
                }
                batch.Clear();
                bytes = 0;
            }
            try
            {
                while (await pending.Reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
                {
                    while (pending.Reader.TryRead(out (PendingItem Item, long Bytes) next))
                    {
                        if (batch.Count > 0 && bytes + next.Bytes > access.MaxBatchBytes) await FlushAsync().ConfigureAwait(false);
                        batch.Add(next.Item);
                        bytes += next.Bytes;
                        if (batch.Count >= CommitBatch) await FlushAsync().ConfigureAwait(false);
                    }
                    await FlushAsync().ConfigureAwait(false); // nothing else is ready: write what is here now
                }
            }
            catch (Exception e)
            {
                // The store or server failed as a whole: stop the readers instead of leaving them blocked on a full channel.
                pending.Writer.TryComplete(e);
                throw;
            }
        }, CancellationToken.None);

        var clock = Stopwatch.StartNew();
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = ExecutionPlan.Cpu(Settings.Models()).BulkConcurrency, CancellationToken = cancellationToken };
        try
        {
            await Parallel.ForEachAsync(sources, parallel, async (source, ct) =>
            {
                try
                {
                    CollectionNames.ValidateId(source.Id);
                    byte[] bytes = await reader.ReadAsync(source.Location, ct).ConfigureAwait(false);
                    string hash = ContentHash.Of(bytes);
                    if (await access.ContentHashAsync(name, source.Id, ct).ConfigureAwait(false) == hash)
                    {
                        Interlocked.Increment(ref skipped);
                        progress.Advance(failed: false);
                        return;
                    }
                    var image = new InputImage(source.Id, bytes, hash, source.Location, ItemContent.Metadata(source.Metadata));
                    PendingItem item = await access.PrepareAsync(collection, image, ct).ConfigureAwait(false);
                    await pending.Writer.WriteAsync((item, bytes.Length), ct).ConfigureAwait(false);
                }
                catch (Exception e) when (IsItemFailure(e))
                {
                    Fail(source.Location, e.Message);
                    progress.Advance(failed: true);
                }
            }).ConfigureAwait(false);
        }
        finally
        {
            pending.Writer.TryComplete();
            await writer.ConfigureAwait(false);
            progress.Finish();
        }

        long after = (await access.GetAsync(name, CancellationToken.None).ConfigureAwait(false)).Count;
        if (args.Get("report") is { } reportPath) WriteReport(reportPath, name, access.Where, sources.Count, indexed, skipped, failures, after);
        if (!quiet)
        {
            double seconds = clock.Elapsed.TotalSeconds;
            string summary = indexed == 0
                ? $"nothing new to embed: {skipped} unchanged item(s) skipped" + (failures.Count > 0 ? $", {failures.Count} failed" : "")
                : $"indexed {indexed} new or changed item(s), skipped {skipped} unchanged, {failures.Count} failed, of {sources.Count} input(s) in {seconds:F1} s ({(indexed + skipped) / Math.Max(seconds, 1e-6):F1} items/s)";
            Console.Error.WriteLine($"{summary}; collection '{name}' has {after} item(s) (was {before}).");
            if (failures.Count > 0)
            {
                Console.Error.WriteLine($"{failures.Count} input(s) failed:");
                foreach (IndexFailure f in failures) Console.Error.WriteLine($"  {f.Source}: {f.Error}");
            }
        }
        return failures.Count > 0 ? 1 : 0;
    }

    /// <summary>Failures of one input (unreadable, refused, not an image, a bad id): reported, never fatal.</summary>
    private static bool IsItemFailure(Exception e) => e is ImageDecodeException or IOException or UnauthorizedAccessException
        or InvalidImageSourceException or ImagePayloadTooLargeException or ImageFetchException or ImageFetchTimeoutException
        or InvalidStoreRequestException;

    private static void WriteReport(string path, string collection, string where, int inputs, int indexed, int skipped, List<IndexFailure> failures, long count)
    {
        using FileStream file = File.Create(path);
        using var json = new Utf8JsonWriter(file, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("collection", collection);
        json.WriteString("store", where);
        json.WriteNumber("inputs", inputs);
        json.WriteNumber("indexed", indexed);
        json.WriteNumber("skipped", skipped);
        json.WriteNumber("failed", failures.Count);
        json.WriteNumber("count", count);
        json.WriteStartArray("failures");
        foreach (IndexFailure f in failures.OrderBy(f => f.Source, StringComparer.Ordinal))
        {
            json.WriteStartObject();
            json.WriteString("source", f.Source);
            json.WriteString("error", f.Error);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }
}
