using ImageEmbed.Imaging.Vips;

namespace ImageEmbed.Tests;

/// <summary>
/// <c>reference/clip-crops</c>: Hugging Face CLIPImageProcessor's 224x224 pixels (Pillow, colour-managed) for every
/// decodable dev and formats file, and how ImageEmbed's pixels are scored against them (mean |difference| in 0-255
/// levels). Target: every file within 2.0, the median file within 0.5.
/// </summary>
internal static class ClipCrops
{
    public static string Folder => TestPaths.ReferenceFile("clip-crops");

    /// <summary>
    /// Where ImageEmbed's colour handling differs from the reference script's on purpose (bounded, so a regression shows):
    /// a CMYK JPEG without a profile goes through libvips' CMYK profile, where Pillow subtracts channels (9.4 levels);
    /// a greyscale JPEG with a grey ICC profile is colour-managed, where the script cannot apply a grey profile to the
    /// RGB it converted to and skips it (3.7 levels).
    /// </summary>
    public static readonly Dictionary<string, double> KnownDifferences = new(StringComparer.Ordinal)
    {
        ["cmyk"] = 10.0,
        ["n03908714_pencil_sharpener"] = 4.0,
    };

    /// <summary>Each source file that has a reference crop, with the crop.</summary>
    public static IEnumerable<(string Source, string Crop)> Pairs() =>
        Directory.GetFiles(TestPaths.DevImages).Concat(Directory.GetFiles(TestPaths.FormatImages)).Order(StringComparer.Ordinal)
            .Select(source => (source, Path.Combine(Folder, Path.GetFileNameWithoutExtension(source) + ".png")))
            .Where(p => File.Exists(p.Item2));

    public static byte[] Pixels(string png)
    {
        using VipsImage image = VipsImage.LoadFromBuffer(File.ReadAllBytes(png), "", out _);
        Assert.Equal((224, 224, 3), (image.Width, image.Height, image.Bands));
        byte[] pixels = new byte[224 * 224 * 3];
        image.WriteToMemory(pixels);
        return pixels;
    }

    public static double MeanDifference(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++) sum += Math.Abs(a[i] - b[i]);
        return sum / a.Length;
    }

    /// <summary>Asserts the targets over (name without extension, score) pairs; returns the median for the log.</summary>
    public static double AssertTargets(IReadOnlyList<(string Name, double Mean)> scores)
    {
        Assert.True(scores.Count >= 110, $"only {scores.Count} reference crops were compared");
        double[] sorted = scores.Select(s => s.Mean).Order().ToArray();
        double median = sorted[sorted.Length / 2];
        Assert.True(median <= 0.5, $"median mean |difference| {median:F3} > 0.5");
        Assert.All(scores, s => Assert.True(s.Mean <= KnownDifferences.GetValueOrDefault(s.Name, 2.0), $"{s.Name}: mean |difference| {s.Mean:F2} levels"));
        return median;
    }
}
