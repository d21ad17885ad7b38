using System.Globalization;
using System.Numerics.Tensors;
using ImageEmbed.Imaging;
using ImageEmbed.Imaging.Decode;
using ImageEmbed.Imaging.Preprocess;
using ImageEmbed.Imaging.Vips;
using ImageEmbed.Models;

namespace ImageEmbed.Cli.Commands;

/// <summary>
/// The JPEG shrink-on-load rule, measured: each sample photo re-encoded as a JPEG (quality 90) with its long side at
/// each of a range of sizes, embedded with shrink-on-load under each candidate margin (source pixels left per model
/// pixel) and with every pixel decoded; per size, the worst and median cosine to the full decode and the time to
/// decode and preprocess.
/// </summary>
internal static class ShrinkSweep
{
    private static readonly int[] Sizes = [300, 400, 500, 600, 700, 800, 1000, 1200, 1600, 2400, 3200, 4000];

    public static async Task<List<string>> RunAsync(EmbeddingEngine engine, LoadedModel model, IReadOnlyList<string> photos, double[] margins, CancellationToken ct)
    {
        // Default limits; only shrink-on-load and its margin differ between the decoders compared.
        var full = new ImagePreprocessor(new ImageDecoder(new ImagingOptions { ShrinkOnLoad = false }));
        ImagePreprocessor[] rules = margins.Select(m => new ImagePreprocessor(new ImageDecoder(new ImagingOptions { ShrinkOnLoad = true }, m))).ToArray();
        var rows = new List<string>
        {
            "| long side (px) | " + string.Join(" | ", margins.Select(m => $"margin {m.ToString("0.0", CultureInfo.InvariantCulture)}: worst / median cosine, decode ms")) + " | every pixel: decode ms |",
            "|---|" + string.Concat(margins.Select(_ => "---|")) + "---|",
        };
        foreach (int size in Sizes)
        {
            Console.Error.WriteLine($"bench: shrink-on-load sweep, long side {size} px, {photos.Count} photos");
            var cosines = margins.Select(_ => new List<double>()).ToArray();
            var times = margins.Select(_ => new List<double>()).ToArray();
            var fullTimes = new List<double>();
            foreach (string photo in photos)
            {
                byte[] jpeg = Resized(photo, size);
                (float[] reference, double referenceMs) = await EmbedAsync(engine, model, full, jpeg, ct).ConfigureAwait(false);
                fullTimes.Add(referenceMs);
                for (int r = 0; r < rules.Length; r++)
                {
                    (float[] vector, double ms) = await EmbedAsync(engine, model, rules[r], jpeg, ct).ConfigureAwait(false);
                    cosines[r].Add(TensorPrimitives.Dot(reference, vector));
                    times[r].Add(ms);
                }
            }
            rows.Add($"| {size} | " + string.Join(" | ", margins.Select((_, r) =>
                $"{cosines[r].Min().ToString("F4", CultureInfo.InvariantCulture)} / {BenchCommand.Percentile(cosines[r], 50).ToString("F5", CultureInfo.InvariantCulture)}, {BenchCommand.Percentile(times[r], 50):F1}"))
                + $" | {BenchCommand.Percentile(fullTimes, 50):F1} |");
        }
        return rows;
    }

    private static async Task<(float[] Vector, double DecodeMs)> EmbedAsync(EmbeddingEngine engine, LoadedModel model, ImagePreprocessor preprocessor, byte[] jpeg, CancellationToken ct)
    {
        double ms = 0;
        ImageEmbedding embedding = await engine.EmbedPreprocessedAsync(model, recipe =>
        {
            PreprocessedImage image = preprocessor.Preprocess(jpeg, recipe);
            ms = (image.DecodeTime + image.TensorTime).TotalMilliseconds;
            return image;
        }, ct).ConfigureAwait(false);
        return (embedding.Vector, ms);
    }

    /// <summary>The photo with its long side at <paramref name="size"/> pixels (Lanczos), as a quality-90 JPEG.</summary>
    private static byte[] Resized(string photo, int size)
    {
        using VipsImage source = VipsImage.LoadFromBuffer(File.ReadAllBytes(photo), "", out _);
        double scale = (double)size / Math.Max(source.Width, source.Height);
        using VipsImage resized = source.Resize(scale, scale, "lanczos3");
        return resized.WriteToBuffer(".jpg[Q=90]");
    }
}
