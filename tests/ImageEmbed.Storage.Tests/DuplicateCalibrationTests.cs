using System.Diagnostics;
using System.Globalization;
using System.Text;
using ImageEmbed.Imaging;
using ImageEmbed.Imaging.Fingerprint;
using ImageEmbed.Models;
using ImageEmbed.Models.Catalog;
using ImageEmbed.ModelTools.Import;
using ImageEmbed.Imaging.Vips;
using Enums = NetVips.Enums;
using ImageEmbed.Storage.Analysis;
using ImageEmbed.Tests;
using Xunit.Abstractions;

namespace ImageEmbed.Storage.Tests;

/// <summary>
/// The calibration behind the duplicate defaults (docs/DUPLICATES.md), re-run as a test: every dev photo
/// and four copies of it (re-encoded, resized, cropped, mirrored), fingerprinted and embedded with the
/// real mobilenet-v2-140; each detector at its shipped default must still reach the precision and recall
/// the docs report, within a small margin. Set IMAGEEMBED_CALIBRATION_OUT to a file to get the tables.
/// </summary>
public sealed class DuplicateCalibrationTests(ITestOutputHelper output)
{
    /// <summary>Copies a user would call "the same photo", made with libvips.</summary>
    public static readonly string[] Kinds = ["reencode", "resize", "crop", "mirror"];

    // What docs/DUPLICATES.md reports at the shipped defaults (pHash <= 10 bits "exact", cosine >= 0.80
    // "similar" for mobilenet-v2-140), per copy kind: (precision, recall) of each detector and of both.
    // A mirror image is not an "exact copy" (pHash is not mirror-invariant, by design): its exact recall is 0.
    private static readonly Dictionary<string, (double P, double R)> ReportedExact = new()
    {
        ["reencode"] = (1.0, 1.0), ["resize"] = (1.0, 1.0), ["crop"] = (1.0, 0.96), ["mirror"] = (1.0, 0.0),
    };
    private static readonly Dictionary<string, (double P, double R)> ReportedSimilar = new()
    {
        ["reencode"] = (1.0, 1.0), ["resize"] = (1.0, 0.96), ["crop"] = (1.0, 1.0), ["mirror"] = (1.0, 0.99),
    };
    private static readonly Dictionary<string, (double P, double R)> ReportedEither = new()
    {
        ["reencode"] = (1.0, 1.0), ["resize"] = (1.0, 1.0), ["crop"] = (1.0, 1.0), ["mirror"] = (1.0, 0.99),
    };
    private const double Margin = 0.03;

    [Fact]
    public async Task Detectors_OnAugmentedDevPhotos_ReachTheReportedPrecisionAndRecall()
    {
        Sample[] samples = await BuildSamplesAsync();
        var report = new StringBuilder();
        Distributions(samples, report);
        Sweeps(samples, report);

        int phash = DuplicateFinder.DefaultPhashDistance;
        float threshold = ModelCatalog.DuplicateThreshold(ModelCatalog.MobileNetV2_140.Name);
        report.AppendLine(CultureInfo.InvariantCulture, $"\nAt the defaults (exact: pHash distance <= {phash}; similar: cosine >= {threshold:F2}):\n");
        report.AppendLine("| copy | exact P | exact R | similar P | similar R | either P | either R |");
        report.AppendLine("|---|---|---|---|---|---|---|");
        var results = new Dictionary<string, (Score Exact, Score Similar, Score Either)>();
        foreach (string kind in Kinds.Append("all"))
        {
            Sample[] pool = samples.Where(s => s.Kind is "original" || kind == "all" || s.Kind == kind).ToArray();
            Score exact = Evaluate(pool, (a, b) => PerceptualHash.Distance(a.Phash, b.Phash) <= phash);
            Score similar = Evaluate(pool, (a, b) => a.Cosine(b) >= threshold);
            Score either = Evaluate(pool, (a, b) => PerceptualHash.Distance(a.Phash, b.Phash) <= phash || a.Cosine(b) >= threshold);
            results[kind] = (exact, similar, either);
            report.AppendLine(CultureInfo.InvariantCulture, $"| {kind} | {exact.Precision:F3} | {exact.Recall:F3} | {similar.Precision:F3} | {similar.Recall:F3} | {either.Precision:F3} | {either.Recall:F3} |");
        }
        HeldOut(samples, report);
        string text = report.ToString();
        output.WriteLine(text);
        if (Environment.GetEnvironmentVariable("IMAGEEMBED_CALIBRATION_OUT") is { Length: > 0 } file) File.WriteAllText(file, text);

        foreach (string kind in Kinds)
        {
            (Score exact, Score similar, Score either) = results[kind];
            Assert.True(exact.Precision >= ReportedExact[kind].P - Margin && exact.Recall >= ReportedExact[kind].R - Margin, $"exact on {kind}: {exact}");
            Assert.True(similar.Precision >= ReportedSimilar[kind].P - Margin && similar.Recall >= ReportedSimilar[kind].R - Margin, $"similar on {kind}: {similar}");
            Assert.True(either.Precision >= ReportedEither[kind].P - Margin && either.Recall >= ReportedEither[kind].R - Margin, $"either on {kind}: {either}");
        }

        // The library answers the same as the pairwise evaluation above: a copy and its source are linked,
        // with the kind the detectors say.
        Sample original = samples.First(s => s.Kind == "original"), reencoded = samples.First(s => s.Source == original.Source && s.Kind == "reencode");
        SimilarPair? pair = DuplicateFinder.Classify(original.Item, reencoded.Item, new DuplicateOptions(threshold));
        Assert.Equal(DuplicateKind.Exact, pair?.Kind);
    }

    /// <summary>
    /// The offline default's "similar" threshold, chosen by the same rule as mobilenet's (the highest cosine
    /// between different photos, any versions, plus 0.03, rounded up to 0.01) and checked on held-out halves.
    /// </summary>
    [Fact]
    public async Task ResNet18_CatalogThreshold_IsTheCosineRulesChoice()
    {
        string models = Directory.CreateTempSubdirectory("imageembed-resnet-calibration-").FullName;
        try
        {
            ResNet18Installer.Install(ResNet18Installer.BundledFolder()!, models);
            Sample[] samples = await BuildSamplesAsync(models, ModelCatalog.ResNet18ImageNet.Name);
            var report = new StringBuilder();
            Distributions(samples, report);
            Sweeps(samples, report, ModelCatalog.ResNet18ImageNet.Name);
            float chosen = MathF.Ceiling((DifferentPairs(samples).Max(p => p.A.Cosine(p.B)) + 0.03f) * 100) / 100;
            float threshold = ModelCatalog.DuplicateThreshold(ModelCatalog.ResNet18ImageNet.Name);
            report.AppendLine(CultureInfo.InvariantCulture, $"\nrule's choice {chosen:F2}; catalog {threshold:F2}. Recall of each copy kind at the catalog value (similar / either):\n");
            foreach (string kind in Kinds)
            {
                Sample[] pool = samples.Where(s => s.Kind is "original" || s.Kind == kind).ToArray();
                Score similar = Evaluate(pool, (a, b) => a.Cosine(b) >= threshold);
                Score either = Evaluate(pool, (a, b) => PerceptualHash.Distance(a.Phash, b.Phash) <= DuplicateFinder.DefaultPhashDistance || a.Cosine(b) >= threshold);
                report.AppendLine(CultureInfo.InvariantCulture, $"- {kind}: similar {similar}; either {either}");
                Assert.Equal(1.0, similar.Precision);
            }
            output.WriteLine(report.ToString());
            Assert.Equal(chosen, threshold);
        }
        finally
        {
            Directory.Delete(models, recursive: true);
        }
    }

    private static void Distributions(Sample[] samples, StringBuilder report)
    {
        Sample[] originals = samples.Where(s => s.Kind == "original").ToArray();
        report.AppendLine("| pair | n | pHash min | pHash median | pHash max | cosine min | cosine median | cosine max |");
        report.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (string kind in Kinds)
        {
            var pairs = originals.Select(o => (o, samples.Single(s => s.Source == o.Source && s.Kind == kind))).ToArray();
            Row(report, $"photo vs its {kind} copy", pairs);
        }
        Row(report, "different photos (any versions)", DifferentPairs(samples));
    }

    /// <summary>
    /// How the thresholds were chosen: for each candidate, the pairs of different photos it would wrongly
    /// link (out of every pair among all 500 images) and the copies of each kind it finds.
    /// </summary>
    private static void Sweeps(Sample[] samples, StringBuilder report, string model = "mobilenet-v2-140")
    {
        Sample[] originals = samples.Where(s => s.Kind == "original").ToArray();
        (Sample A, Sample B)[] different = DifferentPairs(samples);
        (Sample O, Sample C)[] Copies(string kind) => originals.Select(o => (o, samples.Single(s => s.Source == o.Source && s.Kind == kind))).ToArray();

        report.AppendLine("\npHash distance sweep (\"exact\" if distance <= t):\n");
        report.AppendLine("| t | different-photo pairs linked | " + string.Join(" | ", Kinds.Select(k => k + " found")) + " |");
        report.AppendLine("|---|---|" + string.Concat(Kinds.Select(_ => "---|")));
        foreach (int t in new[] { 2, 4, 6, 8, 10, 11, 12, 14, 16 })
            report.AppendLine(CultureInfo.InvariantCulture, $"| {t} | {different.Count(p => PerceptualHash.Distance(p.A.Phash, p.B.Phash) <= t)} | {string.Join(" | ", Kinds.Select(k => Copies(k).Count(p => PerceptualHash.Distance(p.O.Phash, p.C.Phash) <= t)))} |");

        report.AppendLine(CultureInfo.InvariantCulture, $"\nCosine sweep (\"similar\" if cosine >= t, {model}):\n");
        report.AppendLine("| t | different-photo pairs linked | " + string.Join(" | ", Kinds.Select(k => k + " found")) + " |");
        report.AppendLine("|---|---|" + string.Concat(Kinds.Select(_ => "---|")));
        foreach (float t in new[] { 0.70f, 0.75f, 0.77f, 0.80f, 0.85f, 0.88f, 0.90f, 0.92f, 0.95f })
            report.AppendLine(CultureInfo.InvariantCulture, $"| {t:F2} | {different.Count(p => p.A.Cosine(p.B) >= t)} | {string.Join(" | ", Kinds.Select(k => Copies(k).Count(p => p.O.Cosine(p.C) >= t)))} |");
    }

    /// <summary>
    /// The thresholds chosen on half of the photos and scored on the other half (two folds: even and odd
    /// photos), by the rules the defaults were chosen by: pHash = the closest different-photo distance minus 2
    /// (the largest value that links none, minus a bit of margin); cosine = the highest different-photo cosine
    /// plus 0.03, rounded up to 0.01. The cosine rule must link no held-out different photos and the copies
    /// must still be found; the pHash rule's false links are reported (its minimum falls as photos are added,
    /// which is why the default keeps two bits below the closest pair of the full set).
    /// </summary>
    private static void HeldOut(Sample[] samples, StringBuilder report)
    {
        string[] photos = samples.Select(s => s.Source).Distinct().Order(StringComparer.Ordinal).ToArray();
        report.AppendLine("\nHeld out: thresholds chosen on half of the photos, scored on the other half:\n");
        report.AppendLine("| chosen on | pHash t | held-out different pairs linked by pHash | cosine t | linked by cosine | " + string.Join(" | ", Kinds.Select(k => k + " R (either)")) + " |");
        report.AppendLine("|---|---|---|---|---|" + string.Concat(Kinds.Select(_ => "---|")));
        foreach (int fold in new[] { 0, 1 })
        {
            var chosenOn = photos.Where((_, i) => i % 2 == fold).ToHashSet(StringComparer.Ordinal);
            Sample[] train = samples.Where(s => chosenOn.Contains(s.Source)).ToArray(), test = samples.Where(s => !chosenOn.Contains(s.Source)).ToArray();
            (Sample A, Sample B)[] different = DifferentPairs(train);
            int phash = different.Min(p => PerceptualHash.Distance(p.A.Phash, p.B.Phash)) - 2;
            float cosine = MathF.Ceiling((different.Max(p => p.A.Cosine(p.B)) + 0.03f) * 100) / 100;

            (Sample A, Sample B)[] heldOut = DifferentPairs(test);
            int byPhash = heldOut.Count(p => PerceptualHash.Distance(p.A.Phash, p.B.Phash) <= phash);
            int byCosine = heldOut.Count(p => p.A.Cosine(p.B) >= cosine);
            Score[] recall = Kinds.Select(k => Evaluate(test.Where(s => s.Kind is "original" || s.Kind == k).ToArray(),
                (a, b) => PerceptualHash.Distance(a.Phash, b.Phash) <= phash || a.Cosine(b) >= cosine)).ToArray();
            report.AppendLine(CultureInfo.InvariantCulture,
                $"| {(fold == 0 ? "even" : "odd")} photos | {phash} | {byPhash} of {heldOut.Length:N0} | {cosine:F2} | {byCosine} | {string.Join(" | ", recall.Select(r => r.Recall.ToString("F2", CultureInfo.InvariantCulture)))} |");

            Assert.True(byCosine == 0, $"cosine {cosine}, chosen on the other half, linked {byCosine} pairs of different held-out photos");
            for (int k = 0; k < Kinds.Length; k++)
                Assert.True(recall[k].Recall >= ReportedEither[Kinds[k]].R - 2 * Margin, $"held-out {Kinds[k]}: {recall[k]}");
        }
    }

    private static (Sample A, Sample B)[] DifferentPairs(Sample[] samples)
    {
        var pairs = new List<(Sample, Sample)>();
        for (int a = 0; a < samples.Length; a++)
            for (int b = a + 1; b < samples.Length; b++)
                if (samples[a].Source != samples[b].Source) pairs.Add((samples[a], samples[b]));
        return pairs.ToArray();
    }

    private static void Row(StringBuilder report, string name, (Sample A, Sample B)[] pairs)
    {
        int[] d = pairs.Select(p => PerceptualHash.Distance(p.A.Phash, p.B.Phash)).Order().ToArray();
        float[] c = pairs.Select(p => p.A.Cosine(p.B)).Order().ToArray();
        report.AppendLine(CultureInfo.InvariantCulture,
            $"| {name} | {pairs.Length} | {d[0]} | {d[d.Length / 2]} | {d[^1]} | {c[0]:F4} | {c[c.Length / 2]:F4} | {c[^1]:F4} |");
    }

    /// <summary>Precision and recall over every pair in <paramref name="pool"/>: a pair is a true duplicate when both come from one photo.</summary>
    private static Score Evaluate(Sample[] pool, Func<Sample, Sample, bool> detect)
    {
        int tp = 0, fp = 0, fn = 0;
        for (int a = 0; a < pool.Length; a++)
            for (int b = a + 1; b < pool.Length; b++)
            {
                bool truth = pool[a].Source == pool[b].Source, found = detect(pool[a], pool[b]);
                if (found && truth) tp++;
                else if (found) fp++;
                else if (truth) fn++;
            }
        return new Score(tp, fp, fn);
    }

    private async Task<Sample[]> BuildSamplesAsync(string? modelsDirectory = null, string? model = null)
    {
        var fingerprinter = new ImageFingerprinter(new ImagingOptions());
        await using var engine = new EmbeddingEngine(new ModelsOptions { Directory = modelsDirectory ?? TestPaths.ModelsDir, DefaultModel = model ?? ModelCatalog.MobileNetV2_140.Name, QueueCapacity = 1024 }, new ImagingOptions());
        var inputs = new List<(string Source, string Kind, byte[] Bytes)>();
        foreach (string file in TestPaths.DevFiles())
        {
            byte[] bytes = File.ReadAllBytes(file);
            inputs.Add((file, "original", bytes));
            foreach ((string kind, byte[] copy) in Augment(bytes)) inputs.Add((file, kind, copy));
        }

        var clock = Stopwatch.StartNew();
        ulong[] hashes = inputs.AsParallel().AsOrdered().Select(i => fingerprinter.Compute(i.Bytes).PerceptualHash).ToArray();
        output.WriteLine($"fingerprinted {inputs.Count} images in {clock.ElapsedMilliseconds} ms on {Environment.ProcessorCount} cores");
        clock.Restart();
        ImageEmbedding[] embeddings = await Task.WhenAll(inputs.Select(i => engine.EmbedImageAsync(i.Bytes, null))).WaitAsync(TimeSpan.FromMinutes(10));
        output.WriteLine($"embedded {inputs.Count} images in {clock.ElapsedMilliseconds} ms");
        return inputs.Select((i, n) => new Sample(Path.GetFileNameWithoutExtension(i.Source), i.Kind, hashes[n], embeddings[n].Vector)).ToArray();
    }

    /// <summary>The four copies of a photo: JPEG quality 70, half size, 3% cropped from every side, mirrored.</summary>
    public static IEnumerable<(string Kind, byte[] Bytes)> Augment(byte[] jpeg)
    {
        using VipsImage image = VipsImage.LoadFromBuffer(jpeg, "", out _);
        yield return ("reencode", image.WriteToBuffer(".jpg[Q=70]"));
        using (VipsImage half = image.Resize(0.5, 0.5, "lanczos3")) yield return ("resize", half.WriteToBuffer(".jpg[Q=90]"));
        int dx = image.Width * 3 / 100, dy = image.Height * 3 / 100;
        using (VipsImage crop = image.ExtractArea(dx, dy, image.Width - 2 * dx, image.Height - 2 * dy)) yield return ("crop", crop.WriteToBuffer(".jpg[Q=90]"));
        using (VipsImage mirror = image.Flip(Enums.Direction.Horizontal)) yield return ("mirror", mirror.WriteToBuffer(".jpg[Q=90]"));
    }

    private sealed record Sample(string Source, string Kind, ulong Phash, float[] Vector)
    {
        public CollectionItem Item { get; } = new($"{Source}~{Kind}", Vector, PerceptualHash: Phash);

        public float Cosine(Sample other) => System.Numerics.Tensors.TensorPrimitives.Dot(Vector, other.Vector);
    }

    private readonly record struct Score(int TruePositives, int FalsePositives, int FalseNegatives)
    {
        public double Precision => TruePositives + FalsePositives == 0 ? 1 : (double)TruePositives / (TruePositives + FalsePositives);
        public double Recall => TruePositives + FalseNegatives == 0 ? 1 : (double)TruePositives / (TruePositives + FalseNegatives);
        public override string ToString() => $"precision {Precision:F3} ({TruePositives} of {TruePositives + FalsePositives}), recall {Recall:F3} ({TruePositives} of {TruePositives + FalseNegatives})";
    }
}
