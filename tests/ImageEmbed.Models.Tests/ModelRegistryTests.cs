using System.Text.Json;
using ImageEmbed.Imaging;
using ImageEmbed.Models.Catalog;
using ImageEmbed.Tests;

namespace ImageEmbed.Models.Tests;

public sealed class ModelRegistryTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("imageembed-models-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Find_Default_ResolvesToConfiguredModel()
    {
        var registry = new ModelRegistry(new ModelsOptions { Directory = TestPaths.ModelsDir });
        InstalledModel model = registry.Find("default");
        Assert.Equal("mobilenet-v2-140", model.Name);
        Assert.Equal(1792, model.Manifest.Dimensions);
        Assert.Equal(["mobilenet-v2-140"], registry.ListInstalled().Select(m => m.Name));
    }

    [Theory]
    [InlineData("no-such-model")]
    [InlineData("../mobilenet-v2-140")]
    [InlineData("/etc")]
    public void Find_UnknownOrPathLikeName_ThrowsUnknownModelListingInstalled(string name)
    {
        var registry = new ModelRegistry(new ModelsOptions { Directory = TestPaths.ModelsDir });
        var e = Assert.Throws<UnknownModelException>(() => registry.Find(name));
        Assert.Contains("Installed: mobilenet-v2-140", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Load_ChecksumMismatch_RefusesWithBothHashes()
    {
        string modelDir = Directory.CreateDirectory(Path.Combine(_dir, "tampered")).FullName;
        File.CreateSymbolicLink(Path.Combine(modelDir, "model.onnx"), TestPaths.MobileNetOnnx);
        ModelManifest manifest = ModelCatalog.MobileNetV2_140 with
        {
            Name = "tampered",
            Image = ModelCatalog.MobileNetV2_140.Image with { Sha256 = new string('0', 64) },
        };
        ModelFolders.WriteManifest(modelDir, manifest);
        await using var engine = new EmbeddingEngine(new ModelsOptions { Directory = _dir, DefaultModel = "tampered" }, new ImagingOptions());

        var e = await Assert.ThrowsAsync<ModelLoadException>(() => engine.LoadAsync(null)).DefaultTimeout();
        Assert.Contains("0fbd438074382d03ffac52ffe705932ad33af4d847be0b93a4d6889dbe031ff7", e.Message, StringComparison.Ordinal);
        Assert.Contains(new string('0', 64), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Load_ManifestDimensionsDisagreeWithGraph_RefusesNamingBoth()
    {
        string modelDir = Directory.CreateDirectory(Path.Combine(_dir, "wrongdims")).FullName;
        File.CreateSymbolicLink(Path.Combine(modelDir, "model.onnx"), TestPaths.MobileNetOnnx);
        ModelManifest manifest = ModelCatalog.MobileNetV2_140 with { Name = "wrongdims", Dimensions = 512 };
        ModelFolders.WriteManifest(modelDir, manifest);
        await using var engine = new EmbeddingEngine(new ModelsOptions { Directory = _dir, DefaultModel = "wrongdims" }, new ImagingOptions());

        var e = await Assert.ThrowsAsync<ModelLoadException>(() => engine.LoadAsync(null)).DefaultTimeout();
        Assert.Contains("float[?,512]", e.Message, StringComparison.Ordinal);
        Assert.Contains("[?,1792]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Load_FailedThenFixed_TheNextRequestLoadsIt()
    {
        string modelDir = Directory.CreateDirectory(Path.Combine(_dir, "late")).FullName;
        ModelFolders.WriteManifest(modelDir, ModelCatalog.MobileNetV2_140 with { Name = "late" });
        await using var engine = new EmbeddingEngine(new ModelsOptions { Directory = _dir, DefaultModel = "late" }, new ImagingOptions());

        var missing = await Assert.ThrowsAsync<ModelLoadException>(() => engine.LoadAsync(null)).DefaultTimeout();
        Assert.Contains("is missing", missing.Message, StringComparison.Ordinal);

        File.CreateSymbolicLink(Path.Combine(modelDir, "model.onnx"), TestPaths.MobileNetOnnx);
        LoadedModel? loaded = null;
        for (int i = 0; i < 50 && loaded is null; i++)
        {
            try { loaded = await engine.LoadAsync(null).DefaultTimeout(); }
            catch (ModelLoadException) { await Task.Delay(20); } // the failed attempt is forgotten asynchronously
        }
        Assert.Equal("late", loaded?.Name);
    }

    [Fact]
    public void Find_BrokenManifestJson_ThrowsModelLoadExceptionNamingTheFile()
    {
        string modelDir = Directory.CreateDirectory(Path.Combine(_dir, "broken")).FullName;
        File.WriteAllText(Path.Combine(modelDir, ModelRegistry.ManifestFileName), "{ not json");
        var registry = new ModelRegistry(new ModelsOptions { Directory = _dir });

        var e = Assert.Throws<ModelLoadException>(() => registry.Find("broken"));
        Assert.Contains(ModelRegistry.ManifestFileName, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_Invalid_AreRejectedNamingKeyAndValue()
    {
        // Checked once, by the configuration on start (SettingsTests shows the messages with their variables).
        string models = string.Join(" ", new ModelsOptions { Directory = _dir, MaxBatchSize = -1 }.Validate());
        string imaging = string.Join(" ", new ImagingOptions { MaxPixels = -1 }.Validate());
        Assert.Contains("Models:MaxBatchSize must be 0 (automatic) or within 1..1024 (was -1)", models, StringComparison.Ordinal);
        Assert.Contains("Imaging:MaxPixels must be positive (was -1)", imaging, StringComparison.Ordinal);
    }
}
