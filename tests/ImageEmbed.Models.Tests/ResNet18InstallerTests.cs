using ImageEmbed.Imaging;
using ImageEmbed.Models.Catalog;
using ImageEmbed.Models.Embeddings;
using ImageEmbed.ModelTools.Import;
using ImageEmbed.Models.Onnx;
using ImageEmbed.Tests;
using Xunit.Abstractions;

namespace ImageEmbed.Models.Tests;

/// <summary>
/// The offline default: resnet18-imagenet fused from the two graphs of the NuGet package the build copies
/// beside the tests (no npm, no hub), against the package's own graphs run one after the other.
/// </summary>
public sealed class ResNet18InstallerTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _models = Directory.CreateTempSubdirectory("imageembed-resnet-").FullName;

    public void Dispose() => Directory.Delete(_models, recursive: true);

    private static string Bundle => ResNet18Installer.BundledFolder() ?? throw new InvalidOperationException("The build did not copy the ResNet-18 graphs beside the tests.");

    [Fact]
    public void Install_FusedGraph_EqualsThePackagesTwoGraphsRunInTurn()
    {
        InstalledModel model = ResNet18Installer.Install(Bundle, _models);
        Assert.Equal(512, model.Manifest.Dimensions);
        model.VerifyFiles(true); // the manifest names the fused file's own size and sha256

        using var fused = new OrtSession(model.ImageEncoderPath);
        using var prep = new OrtSession(Path.Combine(Bundle, "ResNetPreprocess.onnx"));
        using var resnet = new OrtSession(Path.Combine(Bundle, "ResNet18.onnx"));
        Assert.Equal([-1L, 3, 224, 224], fused.Inputs[0].Shape);
        Assert.Equal([-1L, 512], fused.Outputs[0].Shape);

        const int n = 3, row = 3 * 224 * 224;
        float[] batch = new float[n * row];
        var random = new Random(7);
        for (int i = 0; i < batch.Length; i++) batch[i] = random.Next(256);
        using OrtOutputs together = fused.Run([OrtInput.Float("OriginalInput", batch, n, 3, 224, 224)], ["embedding"]);
        ReadOnlySpan<float> actual = together[0].AsFloats();
        Assert.Equal(n * 512, actual.Length);

        for (int b = 0; b < n; b++)
        {
            using OrtOutputs prepared = prep.Run([OrtInput.Float("OriginalInput", batch.AsMemory(b * row, row), 1, 3, 224, 224)], ["PreprocessedInput"]);
            float[] pixels = prepared[0].AsFloats().ToArray();
            using OrtOutputs pooled = resnet.Run([OrtInput.Float("Input247", pixels, 1, 3, 224, 224)], ["Pooling395_Output_0"]);
            ReadOnlySpan<float> expected = pooled[0].AsFloats();
            for (int i = 0; i < 512; i++) Assert.Equal(expected[i], actual[b * 512 + i], 3);
        }
    }

    /// <summary>
    /// Against the independent pipeline (sharp decodes and resizes, onnxruntime-node runs the package's two
    /// graphs in turn: bench/peer/resnet18-reference.mjs) at the shared mobilenet reference's thresholds.
    /// </summary>
    [Fact]
    public async Task Embeddings_DevAndFormats_MatchTheSharpAndOnnxRuntimeNodeReference()
    {
        ResNet18Installer.Install(Bundle, _models);
        var reference = ReferenceEmbeddings.Load(Path.Combine(AppContext.BaseDirectory, "Reference", "resnet18-imagenet.json"));
        await using var engine = new EmbeddingEngine(new ModelsOptions { Directory = _models }, new ImagingOptions());
        var cosines = new List<(double Cosine, string File)>();
        foreach ((string file, float[] expected) in reference.Embeddings)
        {
            ImageEmbedding actual = await engine.EmbedImageAsync(File.ReadAllBytes(ReferenceEmbeddings.FullPath(file)), null).DefaultTimeout();
            cosines.Add((VectorMath.Cosine(actual.Vector, expected), file));
        }
        foreach (string file in reference.NotDecodable)
            await Assert.ThrowsAnyAsync<Exception>(() => engine.EmbedImageAsync(File.ReadAllBytes(ReferenceEmbeddings.FullPath(file)), null));

        double mean = cosines.Average(c => c.Cosine);
        (double min, string worst) = cosines.Min();
        output.WriteLine($"{cosines.Count} images: mean cosine {mean:F6}, min {min:F6} ({worst})");
        Assert.Equal(114, cosines.Count);
        Assert.True(mean >= reference.RecommendedMean, $"mean cosine {mean:F6} < {reference.RecommendedMean}");
        Assert.True(min >= reference.RecommendedMin, $"min cosine {min:F6} ({worst}) < {reference.RecommendedMin}");
    }

    [Fact]
    public void Install_Twice_RefusesWithoutForce()
    {
        ResNet18Installer.Install(Bundle, _models);
        Assert.Throws<ModelLoadException>(() => ResNet18Installer.Install(Bundle, _models));
        Assert.Equal("resnet18-imagenet", ResNet18Installer.Install(Bundle, _models, force: true).Name);
    }

    [Fact]
    public void Fuse_OtherGraphs_RefusedNamingThePackage()
    {
        byte[] mobilenet = File.ReadAllBytes(TestPaths.MobileNetOnnx);
        var e = Assert.Throws<ModelLoadException>(() => ResNet18Installer.Fuse(mobilenet, mobilenet));
        Assert.Contains(ResNet18Installer.Package, e.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// What a user comes for: a photo's nearest neighbour among the 100 dev photos shows the same kind of
    /// thing. Rates over the photos of the coarse ImageNet groups, for the offline default and mobilenet.
    /// </summary>
    [Fact]
    public async Task NearestNeighbour_DevPhotos_SameCoarseGroupMoreOftenThanMobileNet()
    {
        ResNet18Installer.Install(Bundle, _models);
        File.Copy(TestPaths.MobileNetOnnx, Path.Combine(Directory.CreateDirectory(Path.Combine(_models, "mobilenet-v2-140")).FullName, "model.onnx"));
        ModelFolders.WriteManifest(Path.Combine(_models, "mobilenet-v2-140"), ModelCatalog.MobileNetV2_140);

        await using var engine = new EmbeddingEngine(new ModelsOptions { Directory = _models, MaxBatchSize = 8 }, new ImagingOptions());
        (string File, string Group)[] photos = CoarseGroups.DevPhotos();
        var rates = new Dictionary<string, double>();
        foreach (string model in new[] { "resnet18-imagenet", "mobilenet-v2-140" })
        {
            var vectors = new List<float[]>();
            foreach ((string file, _) in photos) vectors.Add((await engine.EmbedImageAsync(File.ReadAllBytes(TestPaths.Dev(file)), model).DefaultTimeout()).Vector);
            rates[model] = CoarseGroups.NearestNeighbourRate(photos.Select(p => p.Group).ToArray(), vectors);
            output.WriteLine($"{model}: nearest neighbour in the same coarse group for {rates[model]:P0} of {photos.Count(p => p.Group != "")} grouped dev photos");
        }
        Assert.True(rates["resnet18-imagenet"] > rates["mobilenet-v2-140"], $"resnet18 {rates["resnet18-imagenet"]:P0} vs mobilenet {rates["mobilenet-v2-140"]:P0}");
        Assert.True(rates["resnet18-imagenet"] >= 0.6, $"resnet18 {rates["resnet18-imagenet"]:P0}");
    }
}

/// <summary>Coarse groups of ImageNet classes by index (fish, birds, reptiles and amphibians, dogs, cats, insects, primates).</summary>
internal static class CoarseGroups
{
    private static readonly (int From, int To, string Group)[] s_ranges =
    [
        (0, 6, "fish"), (389, 397, "fish"), (7, 24, "birds"), (80, 100, "birds"), (127, 146, "birds"),
        (25, 68, "reptiles"), (151, 268, "dogs"), (281, 293, "cats"), (300, 326, "insects"), (365, 384, "primates"),
    ];

    /// <summary>Every dev photo with its coarse group ("" when in none), from LABELS.tsv.</summary>
    public static (string File, string Group)[] DevPhotos() =>
        File.ReadAllLines(Path.Combine(TestPaths.DevImages, "LABELS.tsv")).Skip(1)
            .Select(line => line.Split('\t'))
            .Select(f => (f[0], Of(int.Parse(f[1], System.Globalization.CultureInfo.InvariantCulture))))
            .ToArray();

    public static string Of(int classIndex) => s_ranges.FirstOrDefault(r => classIndex >= r.From && classIndex <= r.To).Group ?? "";

    /// <summary>Among grouped photos: how often the most similar other photo (of all) is in the same group.</summary>
    public static double NearestNeighbourRate(string[] groups, List<float[]> vectors)
    {
        int grouped = 0, same = 0;
        for (int i = 0; i < vectors.Count; i++)
        {
            if (groups[i] == "") continue;
            grouped++;
            int best = -1;
            double bestCosine = double.NegativeInfinity;
            for (int j = 0; j < vectors.Count; j++)
            {
                if (j == i) continue;
                double c = VectorMath.Cosine(vectors[i], vectors[j]);
                if (c > bestCosine) (bestCosine, best) = (c, j);
            }
            if (groups[best] == groups[i]) same++;
        }
        return (double)same / grouped;
    }
}
