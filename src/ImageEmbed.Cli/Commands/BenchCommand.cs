using ImageEmbed.ModelTools.Benchmarks;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ImageEmbed.Cli.Infrastructure;
using ImageEmbed.Imaging;
using ImageEmbed.Imaging.Preprocess;
using ImageEmbed.Models;
using ImageEmbed.Models.Execution;
using ImageEmbed.Models.Catalog;
using ImageEmbed.Models.Onnx;
using ImageEmbed.Imaging.Vips;
using Enums = NetVips.Enums;

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
    private static readonly OptionSpec Recall = new("recall", null, "POSTGRES", "Benchmark pgvector's recall@10 against exact search (default, ef_search 400/1000, exact) on uniform and clustered random vectors in this PostgreSQL (--vectors, --dims; default 10000, 512).");
    private static readonly OptionSpec ShrinkSweepOption = new("shrink-sweep", null, "MARGINS", "Measure the JPEG shrink-on-load rule instead: --images resized to long sides of 300-4000 px, cosine to the full decode and decode time per margin (comma-separated, e.g. 1.5,2.0) with --model.");
    private static readonly OptionSpec MapOption = new("map", null, null, "Benchmark the collection map (PCA + k-means) instead, on clustered random vectors (--vectors, --dims; default 1000,10000).");
    private static readonly OptionSpec Concurrency = new("concurrency", "c", "LIST", "Concurrent HTTP clients for the --server rows, comma-separated (default 1,8,32).");
    private static readonly OptionSpec Json = new("json", null, "FILE", "Also write the rows as JSON (images/s, p50/p99 ms) for bench/report.mjs.");
    private static readonly OptionSpec Patch = new("patch", null, "16|32", "With --make-vit: the patch size; 16 writes DIR/clip-vit-b16-random, the image compute of CLIP B/16 and SigLIP base/16 (197 tokens against 50).");
    private static readonly OptionSpec MakeVit = new("make-vit", null, "DIR", "Write a ViT-B/32-shaped CLIP vision tower with random weights into DIR/clip-vit-b32-random (HF layout + manifest) and exit; 'imageembed models quantize clip-vit-b32-random' makes its int8 variant.");

    public static readonly CommandSpec Spec = new(
        "bench",
        "Measure decode+preprocess, bare ONNX Runtime inference, engine inference and end-to-end embedding, and print a Markdown report.",
        "bench --images DIR [--model NAME] [--seconds N] [--batch-sizes 1,8,32] [--server URL [--key KEY] [--concurrency 1,8,32]] [--json FILE] | bench --make-vit DIR [--patch 16] | bench --store [--int8] [--vectors 100000,1000000] [--dims 512,1792] | bench --map [--vectors 1000,10000] [--dims 512,1792] | bench --recall POSTGRES [--vectors 10000] [--dims 512] | bench --shrink-sweep 1.5,2.0 --images DIR [--model NAME]",
        [Model, Images, Seconds, Batches, Server, Key, Concurrency, Json, MakeVit, Patch, Store, Vectors, Dims, Int8, MapOption, Recall, ShrinkSweepOption],
        """
        Rows: decode+preprocess per image (one thread, the sample images and a 12-megapixel JPEG made
        from one of them); inference images/s for each batch size, first with the bare ONNX Runtime
        session on ready-made tensors (the ceiling: one run over all cores, and one single-threaded run
        per core at once), then through the engine's encoder (adds the copy and L2 normalization);
        end-to-end images/s of the 'embed' pipeline (read, decode in parallel, micro-batched inference
        with the configured parallel batches) over the sample images, and its batches' own rate. With --server: POST /api/ai/embeddings with
        each sample image as a raw body, from N concurrent clients, giving images/s, p50/p99 latency and
        the ratio to the in-process pipeline measured in the same run (bench/run.sh starts a server for
        this). With --store: durable upsert throughput, memory per million vectors and exact top-10
        search latency (p50/p99 over 50 queries) of the embedded store, for each size and length. With
        --map: the time to build a collection's 2-D map (PCA + k-means, default k) for each size and length.
        Numbers go to stdout; progress to stderr.
        """);

    public static async Task<int> RunAsync(ParsedArgs args, CancellationToken ct)
    {
        if (args.Get("make-vit") is string vitDir)
        {
            int patch = args.Get("patch") is string p ? (p is "16" or "32" ? int.Parse(p, System.Globalization.CultureInfo.InvariantCulture) : throw new UsageException("--patch is 16 or 32.")) : 32;
            Console.Error.WriteLine($"bench: writing {VitBenchModel.NameFor(patch)} (about 350 MB) into {vitDir}");
            Console.WriteLine(VitBenchModel.Write(vitDir, patch: patch));
            return 0;
        }
        if (args.Has("store"))
        {
            int[] sizes = (args.Get("vectors") ?? "100000,1000000").Split(',').Select(s => int.TryParse(s, CultureInfo.InvariantCulture, out int v) && v > 0 ? v : throw new UsageException($"Bad size '{s}'.")).ToArray();
            List<string> storeRows = await StoreBench.RunAsync(sizes, ParseList(args.Get("dims") ?? "512,1792", "dimension", max: 8192), queries: 50, args.Has("int8"), ct);
            Console.WriteLine($"Embedded store, {Environment.ProcessorCount} cores, exact search ({(System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? "AVX-512" : System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated ? "AVX2" : "SSE")}).");
            Console.WriteLine();
            Console.WriteLine(string.Join(Environment.NewLine, storeRows));
            return 0;
        }
        if (args.Get("recall") is string postgres)
        {
            int[] sizes = (args.Get("vectors") ?? "10000").Split(',').Select(s => int.TryParse(s, CultureInfo.InvariantCulture, out int v) && v > 0 ? v : throw new UsageException($"Bad size '{s}'.")).ToArray();
            List<string> recallRows = await RecallBench.RunAsync(postgres, sizes, ParseList(args.Get("dims") ?? "512", "dimension", max: 2000), queries: 50, ct);
            Console.WriteLine($"pgvector HNSW (m 16, ef_construction 64) recall@10 against exact search, {Environment.ProcessorCount} cores, 50 queries.");
            Console.WriteLine();
            Console.WriteLine(string.Join(Environment.NewLine, recallRows));
            return 0;
        }
        if (args.Has("map"))
        {
            int[] sizes = (args.Get("vectors") ?? "1000,10000").Split(',').Select(s => int.TryParse(s, CultureInfo.InvariantCulture, out int v) && v > 0 ? v : throw new UsageException($"Bad size '{s}'.")).ToArray();
            List<string> mapRows = MapBench.Run(sizes, ParseList(args.Get("dims") ?? "512,1792", "dimension", max: 8192));
            Console.WriteLine($"Collection map, {Environment.ProcessorCount} cores, one request (single-threaded).");
            Console.WriteLine();
            Console.WriteLine(string.Join(Environment.NewLine, mapRows));
            return 0;
        }
        string dir = args.Get("images") ?? throw new UsageException("Give a folder of sample images with --images DIR.");
        List<string> files = InputFiles.Expand([dir]);
        if (files.Count == 0) throw new UsageException($"No image files in {dir}.");
        double seconds = args.GetInt("seconds", 5, 1, 600);
        int[] batchSizes = ParseList(args.Get("batch-sizes") ?? "1,8,32", "batch size");
        int[] concurrencies = ParseList(args.Get("concurrency") ?? "1,8,32", "concurrency");

        if (args.Get("shrink-sweep") is string marginList)
        {
            double[] margins = marginList.Split(',').Select(m => double.TryParse(m, CultureInfo.InvariantCulture, out double v) && v >= 1 ? v : throw new UsageException($"Bad margin '{m}': a number of at least 1.")).ToArray();
            await using var sweepEngine = new EmbeddingEngine(Settings.Models(), Settings.Imaging());
            LoadedModel sweepModel = await sweepEngine.LoadAsync(args.Get("model"));
            List<string> sweepRows = await ShrinkSweep.RunAsync(sweepEngine, sweepModel, files, margins, ct);
            Console.WriteLine($"JPEG shrink-on-load, model `{sweepModel.Name}` ({sweepModel.Encoder.Preprocessing.Width}x{sweepModel.Encoder.Preprocessing.Height}), {files.Count} photos from `{dir}`, {Environment.ProcessorCount} cores, libvips {VipsRuntime.Version}.");
            Console.WriteLine();
            Console.WriteLine(string.Join(Environment.NewLine, sweepRows));
            return 0;
        }

        ModelsOptions models = Settings.Models();
        // The inference rows need room for the largest batch; the end-to-end row below runs a second engine
        // with the configured settings, as the service does.
        ModelsOptions served = Settings.Models();
        ImagingOptions imaging = Settings.Imaging();
        ExecutionPlan servedPlan = ExecutionPlan.For(ExecutionProviders.Resolve(served.ExecutionProvider, served.CudaDevice).Provider, served, imaging);
        models.MaxBatchSize = Math.Max(servedPlan.MaxBatchSize, batchSizes.Max());
        models.ParallelBatches = 1; // the bare and encoder rows: one run over all cores; parallel runs get rows of their own
        await using var engine = new EmbeddingEngine(models, imaging);
        LoadedModel model = await engine.LoadAsync(args.Get("model"));
        ImagePreprocessing recipe = model.Encoder.Preprocessing;
        byte[][] encoded = files.Select(File.ReadAllBytes).ToArray();

        var report = new List<string>
        {
            $"Model `{model.Name}` ({model.Dimensions}-d), {files.Count} images from `{dir}`; {Environment.ProcessorCount} cores, " +
            $"ONNX Runtime {OnnxRuntimeEnvironment.Version} on {engine.Provider.Provider}, libvips {VipsRuntime.Version}, intra-op threads {engine.Plan.IntraOpThreads}, spinning {(models.IntraOpSpinning ? "on" : "off")}; the engine row: {servedPlan.ParallelBatches} batch(es) at once × {servedPlan.IntraOpThreads} thread(s).",
            "",
            "| measurement | result |",
            "|---|---|",
        };

        // Every row also goes to --json as name → images/s and latency, for bench/report.mjs.
        var rows = new Dictionary<string, BenchRow>(StringComparer.Ordinal);

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
        rows["decode"] = new BenchRow(1000 / decodeMs.Average(), Percentile(decodeMs, 50), Percentile(decodeMs, 99));
        report.Add($"| decode+preprocess, sample images (mean / p50 / p99 ms per image, 1 thread) | {decodeMs.Average():F1} / {Percentile(decodeMs, 50):F1} / {Percentile(decodeMs, 99):F1} |");
        // Two 12-megapixel JPEGs: camera-like detail (large file: entropy decoding dominates) and a smooth
        // upscaled photo (small file). Shrink-on-load removes the IDCT and resize work; the Huffman decoding of
        // every byte remains, so the time follows the file size.
        foreach ((string key, string what, byte[] large) in new[]
        {
            ("decode_12mp", "4000x3000 JPEG, detailed (8x8 photo mosaic, Q90 4:2:0", MakeLargeJpeg(good)),
            ("decode_12mp_smooth", "4000x3000 JPEG, smooth (one photo upscaled, Q90 4:2:0", MakeUpscaledJpeg(good[0])),
        })
        {
            var largeMs = new List<double>();
            for (int i = 0; i < 11; i++)
            {
                long t = Stopwatch.GetTimestamp();
                engine.Preprocessor.Preprocess(large, recipe).Dispose();
                if (i > 0) largeMs.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds); // the first one warms up
            }
            rows[key] = new BenchRow(1000 / largeMs.Average(), Percentile(largeMs, 50), Percentile(largeMs, 99));
            report.Add($"| decode+preprocess, {what}, {large.Length / 1024.0 / 1024.0:F1} MB) (p50 / p99 ms of 10) | {Percentile(largeMs, 50):F1} / {Percentile(largeMs, 99):F1} |");
        }

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
        using var bare = new OrtSession(model.Encoder.Model.ImageEncoderPath, engine.Plan.SessionSettings());
        // The other way to use the cores: one single-threaded run per core, side by side on one session.
        int parallelRuns = Environment.ProcessorCount;
        using OrtSession? bareParallel = parallelRuns > 1
            ? new OrtSession(model.Encoder.Model.ImageEncoderPath, engine.Plan.SessionSettings() with { IntraOpThreads = 1 })
            : null;
        ModelManifest manifest = model.Manifest;
        float[] output = new float[maxBatch * model.Dimensions];
        double bestBare = 0;
        foreach (int batch in batchSizes)
        {
            Console.Error.WriteLine($"bench: inference, batch {batch}");
            long[] shape = recipe.Layout == TensorLayout.Nhwc ? [batch, recipe.Height, recipe.Width, 3] : [batch, 3, recipe.Height, recipe.Width];
            OrtInput[] inputs = [OrtInput.Float(manifest.Image.Input, tensors.AsMemory(0, batch * rowLength), shape)];
            string[] outputs = [manifest.Image.Output];
            BenchRow bareRow = Throughput(batch, seconds, () => bare.Run(inputs, outputs).Dispose());
            BenchRow engineRow = Throughput(batch, seconds, () => model.Encoder.Encode(tensors, batch, output));
            rows[$"bare_b{batch}"] = bareRow;
            rows[$"encoder_b{batch}"] = engineRow;
            bestBare = Math.Max(bestBare, bareRow.ImagesPerSecond);
            report.Add($"| inference batch {batch}: bare ORT session (images/s; p50 / p99 ms per run) | {bareRow.ImagesPerSecond:F1}; {bareRow.P50Ms:F1} / {bareRow.P99Ms:F1} |");
            if (bareParallel is not null)
            {
                BenchRow parallelRow = Throughput(batch, seconds, () => bareParallel.Run(inputs, outputs).Dispose(), parallelRuns);
                rows[$"bare_parallel_b{batch}"] = parallelRow;
                bestBare = Math.Max(bestBare, parallelRow.ImagesPerSecond);
                report.Add($"| inference batch {batch}: bare ORT session, {parallelRuns} runs at once × 1 thread (images/s; p50 / p99 ms per run) | {parallelRow.ImagesPerSecond:F1}; {parallelRow.P50Ms:F1} / {parallelRow.P99Ms:F1} |");
            }
            report.Add($"| inference batch {batch}: engine encoder (images/s, % of bare) | {engineRow.ImagesPerSecond:F1} ({100 * engineRow.ImagesPerSecond / bareRow.ImagesPerSecond:F0}%) |");
        }
        rows["bare"] = new BenchRow(bestBare, 0, 0);

        // 4. The engine end to end, as 'imageembed embed' runs: parallel decode feeding the micro-batcher.
        Console.Error.WriteLine("bench: end-to-end");
        bare.Dispose();
        bareParallel?.Dispose();
        await engine.DisposeAsync(); // frees the first session and its arena before the served engine loads (a second dispose is a no-op)
        await using var servedEngine = new EmbeddingEngine(served, imaging);
        LoadedModel servedModel = await servedEngine.LoadAsync(model.Name);
        int servedBatch = servedModel.Batcher.MaxBatchSize;
        (BenchRow pipeline, BenchRow batches, double decodeP50) = await PipelineAsync(servedEngine, model.Name, good, servedModel.BulkConcurrency, servedModel.Batcher.Runners, seconds, ct);
        rows["engine"] = pipeline;
        rows["engine_batches"] = batches;
        report.Add($"| engine: decode + preprocess + inference, sample images, MaxBatchSize {servedBatch}{(served.MaxBatchSize == 0 ? " (automatic)" : "")} (images/s; p50 / p99 ms; % of best bare) | {pipeline.ImagesPerSecond:F1}; {pipeline.P50Ms:F0} / {pipeline.P99Ms:F0}; {100 * pipeline.ImagesPerSecond / bestBare:F0}% |");
        // Where the end-to-end rate goes: the batches' own speed while decoding shares the cores (compare the bare rows).
        report.Add($"| engine: its batches while decoding runs beside them (images/s while inferring, {servedModel.Batcher.Runners} at once; p50 / p99 ms per batch); decode p50 ms per image | {batches.ImagesPerSecond:F1}; {batches.P50Ms:F0} / {batches.P99Ms:F0}; {decodeP50:F1} |");

        // 5. The HTTP service, end to end, while this process's engine is idle.
        if (args.Get("server") is string server)
        {
            string key = args.Get("key") ?? Environment.GetEnvironmentVariable("IMAGEEMBED_API_KEYS")?.Split(',')[0]
                ?? throw new UsageException("--server needs --key KEY (or IMAGEEMBED_API_KEYS).");
            foreach (int c in concurrencies)
            {
                Console.Error.WriteLine($"bench: HTTP, concurrency {c}");
                (double rate, double p50, double p99) = await HttpLoad.RunAsync(new Uri(server), key, good, c, seconds, ct);
                rows[$"http_c{c}"] = new BenchRow(rate, p50, p99);
                report.Add($"| HTTP POST /api/ai/embeddings, concurrency {c} (images/s; p50 / p99 ms; % of best bare) | {rate:F1}; {p50:F0} / {p99:F0}; {100 * rate / bestBare:F0}% |");
            }
        }
        long peakMb = Process.GetCurrentProcess().PeakWorkingSet64 / 1024 / 1024;
        rows["peak_mb"] = new BenchRow(peakMb, 0, 0);
        report.Add($"| peak working set of the bench process (MB) | {peakMb} |");

        Console.WriteLine(string.Join(Environment.NewLine, report));
        if (args.Get("json") is string json)
            await File.WriteAllTextAsync(json, JsonSerializer.Serialize(new { model = model.Name, cores = Environment.ProcessorCount, rows }, BenchRow.JsonOptions), ct);
        return 0;
    }

    /// <summary>
    /// End-to-end rate and latency from <paramref name="concurrency"/> callers; also the batches' own rate
    /// (<paramref name="runners"/> at once) and time per batch, from each result's timings, and the decode
    /// time per image under that load.
    /// </summary>
    private static async Task<(BenchRow Pipeline, BenchRow Batches, double DecodeP50Ms)> PipelineAsync(
        EmbeddingEngine engine, string model, List<byte[]> images, int concurrency, int runners, double seconds, CancellationToken ct)
    {
        var latencies = new List<double>();
        var timings = new List<EmbeddingTimings>();
        int next = 0;
        // Warm-up: one image, so session start-up is not measured.
        await engine.EmbedImageAsync(images[0], model, ct);
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            var mine = new List<double>();
            while (clock.Elapsed.TotalSeconds < seconds)
            {
                byte[] image = images[Interlocked.Increment(ref next) % images.Count];
                long start = Stopwatch.GetTimestamp();
                ImageEmbedding embedding = await engine.EmbedImageAsync(image, model, ct);
                mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                lock (timings) timings.Add(embedding.Timings);
            }
            lock (latencies) latencies.AddRange(mine);
        }, ct)));
        var pipeline = new BenchRow(latencies.Count / clock.Elapsed.TotalSeconds, Percentile(latencies, 50), Percentile(latencies, 99));
        // Each image reports its batch's size and run time: dividing by the size counts every batch once.
        double inferringSeconds = timings.Sum(t => t.Inference.TotalSeconds / t.BatchSize);
        int fullBatch = timings.Max(t => t.BatchSize);
        List<double> perBatch = timings.Where(t => t.BatchSize == fullBatch).Select(t => t.Inference.TotalMilliseconds).ToList();
        var batches = new BenchRow(runners * timings.Count / inferringSeconds, Percentile(perBatch, 50), Percentile(perBatch, 99));
        return (pipeline, batches, Percentile(timings.Select(t => t.Decode.TotalMilliseconds + t.Preprocess.TotalMilliseconds).ToList(), 50));
    }

    private static int[] ParseList(string list, string what, int max = 256) =>
        list.Split(',').Select(s => int.TryParse(s, CultureInfo.InvariantCulture, out int v) && v > 0 && v <= max ? v : throw new UsageException($"Bad {what} '{s}'.")).ToArray();

    /// <summary>Runs <paramref name="run"/> back to back on <paramref name="threads"/> threads for <paramref name="seconds"/>.</summary>
    private static BenchRow Throughput(int batch, double seconds, Action run, int threads = 1)
    {
        run(); // warm-up: first runs allocate ORT's memory plan for this shape
        var latencies = new List<double>();
        var clock = Stopwatch.StartNew();
        Thread[] runners = Enumerable.Range(0, threads).Select(_ => new Thread(() =>
        {
            var mine = new List<double>();
            do
            {
                long start = Stopwatch.GetTimestamp();
                run();
                mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            } while (clock.Elapsed.TotalSeconds < seconds);
            lock (latencies) latencies.AddRange(mine);
        })).ToArray();
        foreach (Thread t in runners) t.Start();
        foreach (Thread t in runners) t.Join();
        return new BenchRow(latencies.Count * batch / clock.Elapsed.TotalSeconds, Percentile(latencies, 50), Percentile(latencies, 99));
    }

    internal static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
    }

    // Quality 90 with 4:2:0 chroma subsampling, as phone and camera JPEGs are saved (libvips alone would
    // keep full-resolution chroma at Q >= 90: twice the chroma data to decode).
    private const string CameraJpeg = ".jpg[Q=90,subsample_mode=on]";

    private static byte[] MakeUpscaledJpeg(byte[] source)
    {
        using VipsImage image = VipsImage.LoadFromBuffer(source, "", out _);
        using VipsImage big = image.Resize(4000.0 / image.Width, 3000.0 / image.Height, "linear");
        return big.WriteToBuffer(CameraJpeg);
    }

    // A 4000x3000 photo with a camera's level of detail: an 8x8 mosaic of sample photos at their own scale
    // (an upscaled photo would be unrealistically smooth, so cheap to entropy-decode), saved at quality 90.
    private static byte[] MakeLargeJpeg(List<byte[]> photos)
    {
        const int tileWidth = 500, tileHeight = 375, columns = 8, rows = 8;
        byte[] mosaic = new byte[columns * tileWidth * rows * tileHeight * 3];
        byte[] tile = new byte[tileWidth * tileHeight * 3];
        for (int t = 0; t < columns * rows; t++)
        {
            using (VipsImage photo = VipsImage.LoadFromBuffer(photos[t % photos.Count], "", out _))
            using (VipsImage srgb = photo.Colourspace(Enums.Interpretation.Srgb))
            using (VipsImage rgb = srgb.Bands > 3 ? srgb.ExtractBands(0, 3) : srgb.Colourspace(Enums.Interpretation.Srgb))
            using (VipsImage sized = rgb.Resize((double)tileWidth / rgb.Width, (double)tileHeight / rgb.Height, "linear"))
                sized.WriteToMemory(tile);
            int x0 = t % columns * tileWidth, y0 = t / columns * tileHeight;
            for (int y = 0; y < tileHeight; y++)
                tile.AsSpan(y * tileWidth * 3, tileWidth * 3).CopyTo(mosaic.AsSpan(((y0 + y) * columns * tileWidth + x0) * 3));
        }
        using VipsImage big = VipsImage.FromPixels(mosaic, columns * tileWidth, rows * tileHeight, 3);
        return big.WriteToBuffer(CameraJpeg);
    }
}

/// <summary>One benchmark row: throughput and latency (per image, per run for the inference rows).</summary>
internal readonly record struct BenchRow(double ImagesPerSecond, double P50Ms, double P99Ms)
{
    public static readonly JsonSerializerOptions JsonOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };
}
