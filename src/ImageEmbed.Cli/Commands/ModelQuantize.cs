using ImageEmbed.ModelTools.Benchmarks;
using System.Diagnostics;
using System.Globalization;
using ImageEmbed.Cli.Infrastructure;
using ImageEmbed.Imaging.Decode;
using ImageEmbed.Imaging.Preprocess;
using ImageEmbed.Models;
using ImageEmbed.Models.Execution;
using ImageEmbed.Models.Catalog;
using ImageEmbed.ModelTools.Quantization;
using ImageEmbed.Models.Sessions;
using ImageEmbed.Models.Onnx;

namespace ImageEmbed.Cli.Commands;

/// <summary>
/// <c>imageembed models quantize NAME</c>: makes the int8 variant of an installed model, checks that it
/// embeds like the original (cosine over sample images, and texts for a text tower), measures both, and
/// installs it only when the parity holds.
/// </summary>
internal static class ModelQuantize
{
    /// <summary>Vectors this close are interchangeable for search; only then does the variant share the original's space.</summary>
    public const float SharedSpaceMinCosine = 0.999f;

    private const int Batch = 8;

    private static readonly string[] SampleTexts =
    [
        "a photo of a cat", "a dog running on a beach", "a red car parked in the street", "a bowl of fruit on a table",
        "a mountain lake at sunrise", "a person riding a bicycle", "a city skyline at night", "a diagram with arrows",
    ];

    public static async Task<int> RunAsync(ParsedArgs args, ModelsOptions options, ModelRegistry registry, CancellationToken ct)
    {
        if (args.Positionals.Count < 2) throw new UsageException("Name the model to quantize: imageembed models quantize NAME [--as NEWNAME]");
        InstalledModel source = registry.Find(args.Positionals[1]);
        string name = args.Get("as") ?? QuantizedModelBuilder.DefaultName(source.Name);
        float minCosine = args.GetFloat("min-cosine", 0.999f, -1f, 1f);
        int seconds = args.GetInt("seconds", 3, 0, 600);
        List<byte[]> samples = args.Get("images") is string dir ? ReadImages(dir) : SampleImages.Create();

        var clock = Stopwatch.StartNew();
        StagedQuantization staged;
        try
        {
            staged = QuantizedModelBuilder.Stage(source, name, options.Directory, args.Has("force"), new Progress());
            Console.Error.WriteLine($"quantize: {name} written in {clock.Elapsed.TotalSeconds:F1} s");
        }
        catch (QuantizationException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
        try
        {
            Console.Error.WriteLine($"quantize: checking parity on {(args.Has("images") ? $"{samples.Count} image(s)" : $"{samples.Count} built-in sample images")}");
            Parity image = ImageParity(source, staged.Model, samples, options, out int used, ct);
            Parity? text = staged.Text is { MatMuls: > 0 } ? TextParity(source, staged.Model, options, ct) : null;
            (double fp32Speed, double int8Speed) = seconds > 0 ? Speed(source, staged.Model, samples[0], options, seconds) : (0, 0);

            Console.WriteLine($"{source.Name} -> {name}: {staged.Image.MatMuls} MatMul(s) int8 in the image tower ({Mb(staged.Image.FloatBytes)} -> {Mb(staged.Image.Int8Bytes)} of weights)" +
                (staged.Text is { } t ? t.MatMuls > 0 ? $", {t.MatMuls} in the text tower ({Mb(t.FloatBytes)} -> {Mb(t.Int8Bytes)})" : ", text tower kept float (nothing to quantize)" : ""));
            Console.WriteLine($"image parity over {used} image(s): mean cosine {image.Mean:F6}, min {image.Min:F6} (required >= {minCosine.ToString(CultureInfo.InvariantCulture)})");
            if (text is { } tp) Console.WriteLine($"text parity over {SampleTexts.Length} texts: mean cosine {tp.Mean:F6}, min {tp.Min:F6}");
            if (seconds > 0)
                Console.WriteLine($"speed, bare ONNX Runtime session, batch {Batch}: {source.Name} {fp32Speed:F1} images/s, {name} {int8Speed:F1} images/s ({int8Speed / fp32Speed:F2}x)");

            float worst = Math.Min(image.Min, text?.Min ?? 1f);
            if (worst < minCosine)
            {
                QuantizedModelBuilder.Discard(staged);
                Console.Error.WriteLine($"error: the int8 model's embeddings are too far from {source.Name}'s (min cosine {worst:F6} < --min-cosine {minCosine.ToString(CultureInfo.InvariantCulture)}); nothing was installed. This model loses too much in int8; keep using {source.Name}.");
                return 1;
            }
            bool share = worst >= SharedSpaceMinCosine;
            InstalledModel installed = QuantizedModelBuilder.Publish(staged, options.Directory, share);
            Console.WriteLine(share
                ? $"embedding space: shared with {source.Name} ({EmbeddingSpace.Compute(installed)}): vectors of either model can be searched against the other's"
                : $"embedding space: its own ({EmbeddingSpace.Compute(installed)}; min cosine below {SharedSpaceMinCosine.ToString(CultureInfo.InvariantCulture)}, so it does not share {source.Name}'s)");
            Console.WriteLine($"installed {name} in {installed.Directory}");
            return 0;
        }
        catch
        {
            QuantizedModelBuilder.Discard(staged);
            throw;
        }
    }

    private readonly record struct Parity(float Mean, float Min);

    private sealed class Progress : IProgress<string>
    {
        public void Report(string value) => Console.Error.WriteLine($"quantize: {value}");
    }

    private static string Mb(long bytes) => $"{bytes / 1024.0 / 1024.0:F1} MB";

    private static List<byte[]> ReadImages(string dir)
    {
        List<string> files = InputFiles.Expand([dir]);
        if (files.Count == 0) throw new UsageException($"No image files in {dir}.");
        return files.Select(File.ReadAllBytes).ToList();
    }

    // Both models embed the same preprocessed tensors through the engine's encoder (the copy and L2
    // normalization the service applies), in batches as the service runs them.
    private static Parity ImageParity(InstalledModel source, InstalledModel quantized, List<byte[]> samples, ModelsOptions options, out int used, CancellationToken ct)
    {
        var preprocessor = new ImagePreprocessor(new ImageDecoder(Settings.Imaging()));
        ImagePreprocessing recipe = source.Manifest.Image.Preprocessing;
        var tensors = new List<float[]>();
        foreach (byte[] bytes in samples)
        {
            try
            {
                using PreprocessedImage image = preprocessor.Preprocess(bytes, recipe);
                tensors.Add(image.Tensor.ToArray());
            }
            catch (ImageDecodeException e)
            {
                Console.Error.WriteLine($"quantize: skipped an image: {e.Message}");
            }
        }
        if (tensors.Count == 0) throw new UsageException("None of the images could be decoded; give another --images folder.");
        used = tensors.Count;
        float[] a = Embed(source, tensors, options, ct), b = Embed(quantized, tensors, options, ct);
        int d = source.Manifest.Dimensions;
        float[] cosines = Enumerable.Range(0, tensors.Count).Select(i => Models.Embeddings.VectorMath.Cosine(a.AsSpan(i * d, d), b.AsSpan(i * d, d))).ToArray();
        return new Parity(cosines.Average(), cosines.Min());
    }

    private static float[] Embed(InstalledModel model, List<float[]> tensors, ModelsOptions options, CancellationToken ct)
    {
        using var encoder = new ImageEncoder(model, ExecutionPlan.Cpu(options).SessionSettings(), options.VerifyChecksums);
        int row = encoder.Preprocessing.TensorLength, d = encoder.Dimensions;
        float[] result = new float[tensors.Count * d];
        float[] batch = new float[Batch * row];
        for (int start = 0; start < tensors.Count; start += Batch)
        {
            int count = Math.Min(Batch, tensors.Count - start);
            for (int i = 0; i < count; i++) tensors[start + i].CopyTo(batch, i * row);
            encoder.Encode(batch, count, result.AsSpan(start * d, count * d), ct);
        }
        return result;
    }

    private static Parity TextParity(InstalledModel source, InstalledModel quantized, ModelsOptions options, CancellationToken ct)
    {
        float[][] a, b;
        OrtSessionSettings cpu = ExecutionPlan.Cpu(options).SessionSettings();
        using (var encoder = new TextEncoder(source, cpu)) a = encoder.Encode(SampleTexts, out _, ct);
        using (var encoder = new TextEncoder(quantized, cpu)) b = encoder.Encode(SampleTexts, out _, ct);
        float[] cosines = a.Zip(b, (x, y) => Models.Embeddings.VectorMath.Cosine(x, y)).ToArray();
        return new Parity(cosines.Average(), cosines.Min());
    }

    // Bare sessions on one ready-made batch, the two models in alternating slices so that a busy
    // neighbour on the machine slows both alike.
    private static (double Fp32, double Int8) Speed(InstalledModel source, InstalledModel quantized, byte[] sample, ModelsOptions options, int seconds)
    {
        Console.Error.WriteLine($"quantize: timing both models, batch {Batch}, about {seconds} s each");
        var preprocessor = new ImagePreprocessor(new ImageDecoder(Settings.Imaging()));
        ImagePreprocessing recipe = source.Manifest.Image.Preprocessing;
        float[] batch = new float[Batch * recipe.TensorLength];
        using (PreprocessedImage image = preprocessor.Preprocess(sample, recipe))
            for (int i = 0; i < Batch; i++) image.Tensor.CopyTo(batch.AsSpan(i * recipe.TensorLength));
        long[] shape = recipe.Layout == TensorLayout.Nhwc ? [Batch, recipe.Height, recipe.Width, 3] : [Batch, 3, recipe.Height, recipe.Width];
        OrtInput[] inputs = [OrtInput.Float(source.Manifest.Image.Input, batch, shape)];
        string[] outputs = [source.Manifest.Image.Output];
        OrtSessionSettings cpu = ExecutionPlan.Cpu(options).SessionSettings();
        using var fp32 = new OrtSession(source.ImageEncoderPath, cpu);
        using var int8 = new OrtSession(quantized.ImageEncoderPath, cpu);
        fp32.Run(inputs, outputs).Dispose(); // warm-up: the first run plans memory for the shape
        int8.Run(inputs, outputs).Dispose();
        double fp32Time = 0, int8Time = 0;
        int fp32Runs = 0, int8Runs = 0;
        const int slices = 3;
        for (int s = 0; s < slices; s++)
        {
            (double t, int n) = Time(fp32, inputs, outputs, seconds / 2.0 / slices);
            fp32Time += t; fp32Runs += n;
            (t, n) = Time(int8, inputs, outputs, seconds / 2.0 / slices);
            int8Time += t; int8Runs += n;
        }
        return (fp32Runs * Batch / fp32Time, int8Runs * Batch / int8Time);
    }

    private static (double Seconds, int Runs) Time(OrtSession session, OrtInput[] inputs, string[] outputs, double seconds)
    {
        var clock = Stopwatch.StartNew();
        int runs = 0;
        do
        {
            session.Run(inputs, outputs).Dispose();
            runs++;
        } while (clock.Elapsed.TotalSeconds < seconds);
        return (clock.Elapsed.TotalSeconds, runs);
    }
}
