using System.Diagnostics;
using System.Globalization;
using ImageEmbed.Cli.Infrastructure;
using ImageEmbed.Imaging.Preprocess;
using ImageEmbed.Models;
using ImageEmbed.Models.Catalog;
using ImageEmbed.Native.Onnx;
using ImageEmbed.Native.Vips;

namespace ImageEmbed.Cli.Commands;

/// <summary>
/// <c>imageembed bench</c>: measures each stage on this machine and prints a Markdown report, with
/// the bare ONNX Runtime session beside the engine so the engine's overhead is visible.
/// </summary>
internal static class BenchCommand
{
    private static readonly OptionSpec Model = new("model", "m", "NAME", "Model to measure (default: the 'default' alias).");
    private static readonly OptionSpec Images = new("images", "i", "DIR", "Folder of sample images (required), e.g. ../shared/images/dev.");
    private static readonly OptionSpec Seconds = new("seconds", "s", "N", "Seconds to spend on each measurement (default 5).");
    private static readonly OptionSpec Batches = new("batch-sizes", "b", "LIST", "Batch sizes for the inference rows, comma-separated (default 1,8,32).");
    private static readonly OptionSpec Server = new("server", null, "URL", "Also measure a running service end to end over HTTP (e.g. http://127.0.0.1:8080).");
    private static readonly OptionSpec Key = new("key", "k", "KEY", "API key for --server (default: the first of IMAGEEMBED_API_KEYS).");
    private static readonly OptionSpec Store = new("store", null, null, "Benchmark the embedded collection store instead (random unit vectors; no model or images needed).");
    private static readonly OptionSpec Vectors = new("vectors", null, "LIST", "With --store: collection sizes, comma-separated (default 100000,1000000).");
    private static readonly OptionSpec Dims = new("dims", null, "LIST", "With --store: vector lengths, comma-separated (default 512,1792).");
    private static readonly OptionSpec Int8 = new("int8", null, null, "With --store: the int8 layout, with recall@10 against an exact search.");
    private static readonly OptionSpec MapOption = new("map", null, null, "Benchmark the collection map (PCA + k-means) instead, on clustered random vectors (--vectors, --dims; default 1000,10000).");
    private static readonly OptionSpec Concurrency = new("concurrency", "c", "LIST", "Concurrent HTTP clients for the --server rows, comma-separated (default 1,8,32).");

    public static readonly CommandSpec Spec = new(
        "bench",
        "Measure decode+preprocess, bare ONNX Runtime inference, engine inference and end-to-end embedding, and print a Markdown report.",
        "bench --images DIR [--model NAME] [--seconds N] [--batch-sizes 1,8,32] [--server URL [--key KEY] [--concurrency 1,8,32]] | bench --store [--int8] [--vectors 100000,1000000] [--dims 512,1792] | bench --map [--vectors 1000,10000] [--dims 512,1792]",
        [Model, Images, Seconds, Batches, Server, Key, Concurrency, Store, Vectors, Dims, Int8, MapOption],
        """
        Rows: decode+preprocess per image (one thread, the sample images and a 24-megapixel JPEG made
        from one of them); inference images/s for each batch size, first with the bare ONNX Runtime
        session on ready-made tensors (the ceiling), then through the engine's encoder (adds the copy
        and L2 normalization); end-to-end images/s of the 'embed' pipeline (read, decode in parallel,
        micro-batched inference) over the sample images. With --server: POST /api/ai/embeddings with
        each sample image as a raw body, from N concurrent clients, giving images/s, p50/p99 latency and
        the ratio to the in-process pipeline measured in the same run (bench/run.sh starts a server for
        this). With --store: durable upsert throughput, memory per million vectors and exact top-10
        search latency (p50/p99 over 50 queries) of the embedded store, for each size and length. With
        --map: the time to build a collection's 2-D map (PCA + k-means, default k) for each size and length.
        Numbers go to stdout; progress to stderr.
        """);

    public static async Task<int> RunAsync(ParsedArgs args, CancellationToken ct)
    {
        if (args.Has("store"))
        {
            int[] sizes = (args.Get("vectors") ?? "100000,1000000").Split(',').Select(s => int.TryParse(s, CultureInfo.InvariantCulture, out int v) && v > 0 ? v : throw new UsageException($"Bad size '{s}'.")).ToArray();
            List<string> rows = await StoreBench.RunAsync(sizes, ParseList(args.Get("dims") ?? "512,1792", "dimension", max: 8192), queries: 50, args.Has("int8"), ct);
            Console.WriteLine($"Embedded store, {Environment.ProcessorCount} cores, exact search ({(System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? "AVX-512" : System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated ? "AVX2" : "SSE")}).");
            Console.WriteLine();
            Console.WriteLine(string.Join(Environment.NewLine, rows));
            return 0;
        }
        if (args.Has("map"))
        {
            int[] sizes = (args.Get("vectors") ?? "1000,10000").Split(',').Select(s => int.TryParse(s, CultureInfo.InvariantCulture, out int v) && v > 0 ? v : throw new UsageException($"Bad size '{s}'.")).ToArray();
            List<string> rows = MapBench.Run(sizes, ParseList(args.Get("dims") ?? "512,1792", "dimension", max: 8192));
            Console.WriteLine($"Collection map, {Environment.ProcessorCount} cores, one request (single-threaded).");
            Console.WriteLine();
            Console.WriteLine(string.Join(Environment.NewLine, rows));
            return 0;
        }
        string dir = args.Get("images") ?? throw new UsageException("Give a folder of sample images with --images DIR.");
        List<string> files = InputFiles.Expand([dir]);
        if (files.Count == 0) throw new UsageException($"No image files in {dir}.");
        double seconds = args.GetInt("seconds", 5, 1, 600);
        int[] batchSizes = ParseList(args.Get("batch-sizes") ?? "1,8,32", "batch size");
        int[] concurrencies = ParseList(args.Get("concurrency") ?? "1,8,32", "concurrency");

        ModelsOptions models = Settings.Models();
        models.MaxBatchSize = Math.Max(models.MaxBatchSize, batchSizes.Max());
        await using var engine = new EmbeddingEngine(models, Settings.Imaging());
        LoadedModel model = await engine.LoadAsync(args.Get("model"));
        ImagePreprocessing recipe = model.Encoder.Preprocessing;
        byte[][] encoded = files.Select(File.ReadAllBytes).ToArray();

        var report = new List<string>
        {
            $"Model `{model.Name}` ({model.Dimensions}-d), {files.Count} images from `{dir}`; {Environment.ProcessorCount} cores, " +
            $"ONNX Runtime {OrtRuntime.Version}, libvips {VipsRuntime.Version}, intra-op threads {(models.IntraOpThreads == 0 ? "default" : models.IntraOpThreads)}.",
            "",
            "| measurement | result |",
            "|---|---|",
        };

        // 1. Decode + preprocess, one thread.
        Console.Error.WriteLine("bench: decode + preprocess");
        var decodeMs = new List<double>();
        var good = new List<byte[]>();
        foreach (byte[] bytes in encoded)
        {
            long t = Stopwatch.GetTimestamp();
            try
            {
                engine.Preprocessor.Preprocess(bytes, recipe).Dispose();
                decodeMs.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                good.Add(bytes);
            }
            catch (Imaging.Decode.ImageDecodeException) { }
        }
        report.Add($"| decode+preprocess, sample images (mean / p50 / p99 ms per image, 1 thread) | {decodeMs.Average():F1} / {Percentile(decodeMs, 50):F1} / {Percentile(decodeMs, 99):F1} |");
        byte[] large = MakeLargeJpeg(good[0]);
        var largeMs = new List<double>();
        for (int i = 0; i < 5; i++)
        {
            long t = Stopwatch.GetTimestamp();
            engine.Preprocessor.Preprocess(large, recipe).Dispose();
            largeMs.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
        }
        report.Add($"| decode+preprocess, 6000x4000 JPEG ({large.Length / 1024 / 1024.0:F1} MB) (median ms) | {Percentile(largeMs, 50):F0} |");

        // Ready-made tensors for the inference rows: the real sample images, preprocessed once.
        int rowLength = recipe.TensorLength;
        int maxBatch = batchSizes.Max();
        float[] tensors = new float[maxBatch * rowLength];
        for (int i = 0; i < maxBatch; i++)
        {
            using PreprocessedImage image = engine.Preprocessor.Preprocess(good[i % good.Count], recipe);
            image.Tensor.CopyTo(tensors.AsSpan(i * rowLength));
        }

        // 2. Bare ONNX Runtime session vs 3. the engine's encoder, same tensors, same settings.
        using var bare = new OrtSession(model.Encoder.Model.ImageEncoderPath, new OrtSessionSettings { IntraOpThreads = models.IntraOpThreads });
        ModelManifest manifest = model.Manifest;
        float[] output = new float[maxBatch * model.Dimensions];
        foreach (int batch in batchSizes)
        {
            Console.Error.WriteLine($"bench: inference, batch {batch}");
            long[] shape = recipe.Layout == TensorLayout.Nhwc ? [batch, recipe.Height, recipe.Width, 3] : [batch, 3, recipe.Height, recipe.Width];
            OrtInput[] inputs = [OrtInput.Float(manifest.Image.Input, tensors.AsMemory(0, batch * rowLength), shape)];
            string[] outputs = [manifest.Image.Output];
            double bareRate = Throughput(batch, seconds, () => bare.Run(inputs, outputs).Dispose());
            double engineRate = Throughput(batch, seconds, () => model.Encoder.Encode(tensors, batch, output));
            report.Add($"| inference batch {batch}: bare ORT session (images/s) | {bareRate:F1} |");
            report.Add($"| inference batch {batch}: engine encoder (images/s, % of bare) | {engineRate:F1} ({100 * engineRate / bareRate:F0}%) |");
        }

        // 4. End to end, as 'imageembed embed' runs: parallel decode feeding the micro-batcher.
        Console.Error.WriteLine("bench: end-to-end");
        int done = 0;
        var clock = Stopwatch.StartNew();
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = models.BulkConcurrency, CancellationToken = ct };
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            await Parallel.ForEachAsync(good, parallel, async (bytes, token) =>
            {
                await engine.EmbedImageAsync(bytes, model.Name, token);
                Interlocked.Increment(ref done);
            });
        }
        double pipelineRate = done / clock.Elapsed.TotalSeconds;
        report.Add($"| end-to-end embed pipeline, sample images (images/s) | {pipelineRate:F1} |");

        // 5. The HTTP service, end to end, while this process's engine is idle.
        if (args.Get("server") is string server)
        {
            string key = args.Get("key") ?? Environment.GetEnvironmentVariable("IMAGEEMBED_API_KEYS")?.Split(',')[0]
                ?? throw new UsageException("--server needs --key KEY (or IMAGEEMBED_API_KEYS).");
            foreach (int c in concurrencies)
            {
                Console.Error.WriteLine($"bench: HTTP, concurrency {c}");
                (double rate, double p50, double p99) = await HttpLoad.RunAsync(new Uri(server), key, good, c, seconds, ct);
                report.Add($"| HTTP POST /api/ai/embeddings, concurrency {c} (images/s; p50 / p99 ms; % of in-process pipeline) | {rate:F1}; {p50:F0} / {p99:F0}; {100 * rate / pipelineRate:F0}% |");
            }
        }
        report.Add($"| peak working set (MB) | {Process.GetCurrentProcess().PeakWorkingSet64 / 1024 / 1024} |");

        Console.WriteLine(string.Join(Environment.NewLine, report));
        return 0;
    }

    private static int[] ParseList(string list, string what, int max = 256) =>
        list.Split(',').Select(s => int.TryParse(s, CultureInfo.InvariantCulture, out int v) && v > 0 && v <= max ? v : throw new UsageException($"Bad {what} '{s}'.")).ToArray();

    private static double Throughput(int batch, double seconds, Action run)
    {
        run(); // warm-up: first runs allocate ORT's memory plan for this shape
        int runs = 0;
        var clock = Stopwatch.StartNew();
        do
        {
            run();
            runs++;
        } while (clock.Elapsed.TotalSeconds < seconds);
        return runs * batch / clock.Elapsed.TotalSeconds;
    }

    internal static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
    }

    private static byte[] MakeLargeJpeg(byte[] source)
    {
        using VipsImage image = VipsImage.LoadFromBuffer(source, "", out _);
        using VipsImage big = image.Resize(6000.0 / image.Width, 4000.0 / image.Height, "linear");
        return big.WriteToBuffer(".jpg[Q=90]");
    }
}
