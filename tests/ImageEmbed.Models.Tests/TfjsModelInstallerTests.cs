using ImageEmbed.ModelTools.Install;
using ImageEmbed.Imaging;
using ImageEmbed.Models.Catalog;
using ImageEmbed.Models.Embeddings;
using ImageEmbed.ModelTools.Import;
using ImageEmbed.Tests;
using Xunit.Abstractions;

namespace ImageEmbed.Models.Tests;

/// <summary>The offline default model (first start, no hub), and the TF.js importer's mobilenet, used through the normal engine.</summary>
public sealed class TfjsModelInstallerTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _models = Directory.CreateTempSubdirectory("imageembed-import-").FullName;
    private static string Bundle => NsfwjsFixture.Folder;

    public void Dispose() => Directory.Delete(_models, recursive: true);

    [Fact]
    public async Task Bootstrap_NoModelInstalledAndNoPull_InstallsResNet18FromTheNuGetPackage()
    {
        var options = new ModelsOptions { Directory = _models, AutoPull = false };
        var messages = new List<string>();
        await using var engine = new EmbeddingEngine(options, new ImagingOptions());
        await ModelBootstrapper.EnsureInstalledAsync(engine.Registry, options, messages.Add, default).DefaultTimeout();

        Assert.Equal("resnet18-imagenet", engine.Registry.ResolveName("default"));
        Assert.False(Directory.Exists(Path.Combine(_models, ".staging")), "the staging folder is removed once the model is in place");
        Assert.Contains(messages, m => m.Contains("from the NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18 0.24.0", StringComparison.Ordinal));
        float[] vector = (await engine.EmbedImageAsync(File.ReadAllBytes(TestPaths.DevFiles()[0]), null).DefaultTimeout()).Vector;
        Assert.Equal(512, vector.Length);
        Assert.Equal(1.0, Math.Sqrt(vector.Sum(v => (double)v * v)), 5);
    }

    [Fact]
    public async Task Import_NsfwjsBundle_BuildsMobileNetEqualToSharedModelThroughTheEngine()
    {
        TfjsModelInstaller.Install(Bundle, "mobilenet-v2-140", _models);
        await using var imported = new EmbeddingEngine(new ModelsOptions { Directory = _models }, new ImagingOptions());
        await using var shared = new EmbeddingEngine(new ModelsOptions { Directory = TestPaths.ModelsDir }, new ImagingOptions());

        Assert.Equal("mobilenet-v2-140", imported.Registry.ResolveName("default"));
        Assert.False(Directory.Exists(Path.Combine(_models, ".staging")), "the staging folder is removed once the model is in place");
        double min = 1;
        foreach (string file in TestPaths.DevFiles())
        {
            byte[] bytes = File.ReadAllBytes(file);
            float[] a = (await imported.EmbedImageAsync(bytes, null).DefaultTimeout()).Vector;
            float[] b = (await shared.EmbedImageAsync(bytes, null).DefaultTimeout()).Vector;
            min = Math.Min(min, VectorMath.Cosine(a, b));
        }
        output.WriteLine($"min cosine, imported vs shared model, 100 dev photos through the engine: {min:F7}");
        Assert.True(min >= 0.9999, $"min cosine {min}");
    }

    [Fact]
    public void Install_UnknownOp_FailsNamingItAndLeavesNoModel()
    {
        string broken = Directory.CreateTempSubdirectory("imageembed-badtfjs-").FullName;
        try
        {
            // The real bundle with one op renamed to something the converter does not know.
            foreach (string file in Directory.GetFiles(Bundle)) File.Copy(file, Path.Combine(broken, Path.GetFileName(file)));
            string js = Path.Combine(broken, "model.min.js");
            string text = File.ReadAllText(js);
            int at = text.IndexOf("op:\"AddV2\"", StringComparison.Ordinal);
            File.WriteAllText(js, text[..at] + "op:\"FancyAdd\"" + text[(at + "op:\"AddV2\"".Length)..]);

            var e = Assert.Throws<TfjsImportException>(() => TfjsModelInstaller.Install(broken, "odd-model", _models));

            Assert.Contains("FancyAdd", e.Message, StringComparison.Ordinal);
            Assert.False(Directory.Exists(Path.Combine(_models, "odd-model")));
            Assert.False(Directory.Exists(Path.Combine(_models, ".staging", "odd-model")));
        }
        finally
        {
            Directory.Delete(broken, recursive: true);
        }
    }
}
