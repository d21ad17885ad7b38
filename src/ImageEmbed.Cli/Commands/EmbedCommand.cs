using ImageEmbed.ModelTools.Install;
using System.Text.Json;
using ImageEmbed.Cli.Infrastructure;
using ImageEmbed.Imaging;
using ImageEmbed.Imaging.Decode;
using ImageEmbed.Models;
using ImageEmbed.Models.Catalog;

namespace ImageEmbed.Cli.Commands;

/// <summary><c>imageembed embed</c>: files and folders in, JSON Lines of embeddings out.</summary>
internal static class EmbedCommand
{
    private static readonly OptionSpec Model = new("model", "m", "NAME", "Model to use (default: the 'default' alias, IMAGEEMBED_DEFAULT_MODEL).");
    private static readonly OptionSpec Output = new("output", "o", "FILE", "Write JSON Lines to FILE instead of standard output.");
    private static readonly OptionSpec Quiet = new("quiet", "q", null, "No progress bar and no summary (errors are still reported).");

    public static readonly CommandSpec Spec = new(
        "embed",
        "Embed image files with a model and write one JSON object per image: {\"file\",\"model\",\"dimensions\",\"embedding\"}.",
        "embed [--model NAME] [-o FILE] PATH...",
        [Model, Output, Quiet],
        """
        PATH may be a file or a folder. Folders are searched recursively for image files (.jpg .jpeg .png
        .webp .gif .tif .tiff .avif .heic .heif, and .svg .bmp, which are refused and reported, as 'index'
        does); files named on the command line are always tried, and the
        format is recognised from the bytes, never from the name. Lines come out in input order.
        Embeddings are L2-normalized. A file that cannot be embedded is reported on stderr with its reason
        and the run goes on; the exit code is then 1 (0 when every file succeeded, 2 for usage errors).

        Examples:
          imageembed embed photo.jpg
          imageembed embed --model mobilenet-v2-140 -o vectors.jsonl ~/Pictures
        """);

    public static async Task<int> RunAsync(ParsedArgs args, CancellationToken cancellationToken)
    {
        if (args.Positionals.Count == 0) throw new UsageException("Give at least one file or folder to embed. See 'imageembed embed --help'.");
        List<string> files = InputFiles.Expand(args.Positionals);
        if (files.Count == 0) throw new UsageException("No image files found in the given folders.");

        ImagingOptions imaging = Settings.Imaging();
        ModelsOptions models = Settings.Models();
        await using var engine = new EmbeddingEngine(models, imaging, Settings.DataDirectory());
        await ModelBootstrapper.EnsureInstalledAsync(engine.Registry, models, message => Console.Error.WriteLine(message), cancellationToken).ConfigureAwait(false);
        LoadedModel model = await engine.LoadAsync(args.Get("model")).ConfigureAwait(false);

        string? outputPath = args.Get("output");
        Stream output = outputPath is null ? Console.OpenStandardOutput() : File.Create(outputPath);
        await using (output.ConfigureAwait(false))
        {
            bool quiet = args.Has("quiet");
            var progress = new ProgressReporter("embedding", files.Count, Console.Error, interactive: !Console.IsErrorRedirected, enabled: !quiet && files.Count > 1);
            var writer = new OrderedLineWriter(output, files.Count);

            var parallel = new ParallelOptions { MaxDegreeOfParallelism = model.BulkConcurrency, CancellationToken = cancellationToken };
            await Parallel.ForEachAsync(Enumerable.Range(0, files.Count), parallel, async (index, ct) =>
            {
                string file = files[index];
                byte[]? line = null;
                try
                {
                    byte[] bytes = await ReadLimitedAsync(file, imaging.MaxBytes, ct).ConfigureAwait(false);
                    ImageEmbedding embedding = await engine.EmbedImageAsync(bytes, model.Name, ct).ConfigureAwait(false);
                    line = JsonLine(file, embedding);
                }
                catch (Exception e) when (e is ImageDecodeException or IOException or UnauthorizedAccessException)
                {
                    progress.Message($"error: {file}: {e.Message}");
                }
                progress.Advance(failed: line is null);
                await writer.CompleteAsync(index, line, ct).ConfigureAwait(false);
            }).ConfigureAwait(false);
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);

            progress.Finish();
            if (!quiet)
            {
                double rate = files.Count / Math.Max(progress.Elapsed.TotalSeconds, 1e-6);
                Console.Error.WriteLine($"embedded {files.Count - progress.Failed} of {files.Count} file(s) with {model.Name} ({model.Dimensions}-d) in {progress.Elapsed.TotalSeconds:F1} s ({rate:F1} images/s)" +
                    (progress.Failed > 0 ? $"; {progress.Failed} failed" : ""));
            }
            return progress.Failed > 0 ? 1 : 0;
        }
    }

    private static async Task<byte[]> ReadLimitedAsync(string file, long maxBytes, CancellationToken ct)
    {
        long length = new FileInfo(file).Length;
        if (length > maxBytes)
            throw new ImageDecodeException($"The file is {length:N0} bytes; the limit is {maxBytes:N0} (IMAGEEMBED_MAX_BYTES).");
        return await File.ReadAllBytesAsync(file, ct).ConfigureAwait(false);
    }

    private static byte[] JsonLine(string file, ImageEmbedding embedding)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(embedding.Dimensions * 12 + 256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("file", file);
            json.WriteString("model", embedding.Model);
            json.WriteNumber("dimensions", embedding.Dimensions);
            json.WriteStartArray("embedding");
            foreach (float v in embedding.Vector) json.WriteNumberValue(v);
            json.WriteEndArray();
            json.WriteEndObject();
        }
        System.Buffers.BuffersExtensions.Write(buffer, "\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Writes lines in input order although they complete in any order.</summary>
    private sealed class OrderedLineWriter(Stream output, int count)
    {
        private readonly byte[]?[] _lines = new byte[]?[count];
        private readonly bool[] _ready = new bool[count];
        private readonly SemaphoreSlim _lock = new(1, 1);
        private int _next;

        public async Task CompleteAsync(int index, byte[]? line, CancellationToken ct)
        {
            await _lock.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                _lines[index] = line;
                _ready[index] = true;
                while (_next < count && _ready[_next])
                {
                    if (_lines[_next] is { } ready) await output.WriteAsync(ready, ct).ConfigureAwait(false);
                    _lines[_next++] = null;
                }
            }
            finally
            {
                _lock.Release();
            }
        }
    }
}
