using System.Numerics.Tensors;
using System.Security.Cryptography;
using System.Text;
using ImageEmbed.Imaging;
using ImageEmbed.Imaging.Preprocess;
using ImageEmbed.Models.Catalog;
using ImageEmbed.Models.Embeddings;
using ImageEmbed.ModelTools.Import;
using ImageEmbed.Tests;

namespace ImageEmbed.Models.Tests;

/// <summary>
/// <c>models pull hf:OWNER/REPO</c> through <see cref="HuggingFaceImporter"/>, against a loopback server laid out like
/// the hub (<see cref="HubMirror"/>) serving synthetic SigLIP- and CLIP-shaped exports the tests write.
/// </summary>
public sealed class HuggingFaceImporterTests : IDisposable
{
    private readonly string _models = Directory.CreateTempSubdirectory("imageembed-hf-").FullName;
    private readonly HubMirror _hub = new();
    private readonly HttpClient _http = new();

    public void Dispose()
    {
        _http.Dispose();
        _hub.Dispose();
        Directory.Delete(_models, recursive: true);
    }

    private HuggingFaceImporter Importer => new(_http, _models, _hub.Url);

    [Fact]
    public async Task Import_SiglipExport_PinnedManifest_EmbedsBothAndScoresWithIndependentSigmoids()
    {
        Dictionary<string, byte[]> files = SyntheticSiglip.RepositoryFiles();
        _hub.Add("test/synthetic-siglip", files);

        InstalledModel model = await Importer.ImportAsync(HubReference.Parse("hf:test/synthetic-siglip"),
            new HubImportOptions { LogitScale = 10f, LogitBias = -2f }, null, default).DefaultTimeout();

        ModelManifest m = model.Manifest;
        Assert.Equal("synthetic-siglip", m.Name);
        Assert.Equal(768, m.Dimensions);
        Assert.Equal($"huggingface.co/test/synthetic-siglip at {HubMirror.Commit}", m.Source);
        Assert.Equal("apache-2.0", m.License);
        Assert.Equal(("pixel_values", "pooler_output"), (m.Image.Input, m.Image.Output));
        Assert.Equal(ResizeMode.Squash, m.Image.Preprocessing.Resize);
        Assert.Equal((224, 224, "cubic"), (m.Image.Preprocessing.Width, m.Image.Preprocessing.Height, m.Image.Preprocessing.Kernel));
        Assert.Equal([0.5f, 0.5f, 0.5f], m.Image.Preprocessing.Mean);
        TextEncoderSpec text = m.Text!;
        Assert.Equal(("siglip", "sigmoid", 64, "pooler_output"), (text.TokenizerType, text.Scoring, text.ContextLength, text.Output));
        Assert.Null(text.AttentionMask); // the graph takes input_ids only
        Assert.Equal((10f, -2f), (text.LogitScale, text.LogitBias));
        foreach (DownloadSpec d in m.Downloads)
        {
            Assert.Equal($"https://huggingface.co/test/synthetic-siglip/resolve/{HubMirror.Commit}/{d.Path}", d.Url);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(files[d.Path])), d.Sha256);
            Assert.Equal(files[d.Path], File.ReadAllBytes(Path.Combine(model.Directory, d.Path)));
        }
        Assert.Equal(["onnx/vision_model.onnx", "onnx/text_model.onnx", "tokenizer.json", "tokenizer_config.json", "config.json", "preprocessor_config.json"], m.Downloads.Select(d => d.Path));
        Assert.False(Directory.Exists(Path.Combine(_models, ".staging")));
        Assert.Single(_hub.Requests, r => r.EndsWith("/config.json", StringComparison.Ordinal)); // read once: parsed, then staged

        await using var engine = new EmbeddingEngine(new ModelsOptions { Directory = _models }, new ImagingOptions());
        ImageEmbedding image = await engine.EmbedImageAsync(File.ReadAllBytes(TestPaths.DevFiles()[0]), "synthetic-siglip").DefaultTimeout();
        string[] labels = ["This is a photo of cat.", "This is a photo of dog.", "This is a photo of car."];
        TextEmbeddings prompts = await engine.EmbedTextsAsync(labels, "synthetic-siglip").DefaultTimeout();
        Assert.Equal(768, image.Vector.Length);
        Assert.All(prompts.Vectors, v => Assert.Equal(1f, TensorPrimitives.Norm(v), 4));
        // SigLIP's canonicalization runs in front of the tower: case and punctuation do not change the vector.
        TextEmbeddings same = await engine.EmbedTextsAsync(["THIS is a photo of... CAT"], "synthetic-siglip").DefaultTimeout();
        Assert.Equal(prompts.Vectors[0], same.Vectors[0]);

        float[] scores = ZeroShot.Scores(image.Vector, prompts.Vectors, text);
        for (int i = 0; i < labels.Length; i++)
        {
            float cos = TensorPrimitives.Dot(image.Vector, prompts.Vectors[i]);
            Assert.Equal(1f / (1f + MathF.Exp(-(10f * cos - 2f))), scores[i], 5);
        }
        Assert.NotEqual(1f, scores.Sum(), 2); // independent probabilities, not a softmax
    }

    [Fact]
    public async Task Import_SiglipOfAKnownCheckpoint_TakesItsCalibration_QuantizedTowersWhenAsked()
    {
        Dictionary<string, byte[]> files = SyntheticSiglip.RepositoryFiles();
        files["config.json"] = Encoding.UTF8.GetBytes(SyntheticSiglip.ConfigJson().Replace("test/synthetic-siglip", "google/siglip-base-patch16-224", StringComparison.Ordinal));
        files["onnx/vision_model_quantized.onnx"] = files["onnx/vision_model.onnx"];
        files["onnx/text_model_quantized.onnx"] = files["onnx/text_model.onnx"];
        _hub.Add("test/siglip-export", files);

        InstalledModel model = await Importer.ImportAsync(HubReference.Parse($"hf:test/siglip-export@{HubMirror.Commit}"),
            new HubImportOptions { Name = "my-siglip", Quantized = true }, null, default).DefaultTimeout();

        Assert.Equal("my-siglip", model.Name);
        Assert.Equal((ModelCatalog.SiglipBase224.Text!.LogitScale, ModelCatalog.SiglipBase224.Text.LogitBias), (model.Manifest.Text!.LogitScale, model.Manifest.Text.LogitBias));
        Assert.Equal(("onnx/vision_model_quantized.onnx", "onnx/text_model_quantized.onnx"), (model.Manifest.Image.File, model.Manifest.Text.File));
    }

    [Fact]
    public async Task Import_UnknownSiglipWithoutCalibration_RefusedNamingTheOptions()
    {
        _hub.Add("test/synthetic-siglip", SyntheticSiglip.RepositoryFiles());

        var e = await Assert.ThrowsAsync<ModelDownloadException>(() => Importer.ImportAsync(HubReference.Parse("hf:test/synthetic-siglip"), new HubImportOptions(), null, default)).DefaultTimeout();

        Assert.Contains("--logit-scale X --logit-bias Y", e.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_models)); // nothing staged either: the configuration is checked first
    }

    [Fact]
    public async Task Import_ClipExport_ClipTokenizerSoftmaxAndTheProjectedOutputs()
    {
        Dictionary<string, byte[]> files = SyntheticClip.Files();
        files["config.json"] = """{ "model_type": "clip", "projection_dim": 512, "text_config": { "max_position_embeddings": 77 }, "vision_config": { "image_size": 224 } }"""u8.ToArray();
        files["preprocessor_config.json"] = """
            { "crop_size": { "height": 224, "width": 224 }, "do_center_crop": true, "do_normalize": true, "do_rescale": true, "do_resize": true,
              "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_std": [0.26862954, 0.26130258, 0.27577711],
              "resample": 3, "rescale_factor": 0.00392156862745098, "size": { "shortest_edge": 224 } }
            """u8.ToArray();
        _hub.Add("test/synthetic-clip", files);

        InstalledModel model = await Importer.ImportAsync(HubReference.Parse("hf:test/synthetic-clip"), new HubImportOptions(), null, default).DefaultTimeout();

        ModelManifest m = model.Manifest;
        Assert.Equal((512, "image_embeds", "text_embeds"), (m.Dimensions, m.Image.Output, m.Text!.Output));
        Assert.Equal(("clip", "softmax", 100f, 77), (m.Text.TokenizerType, m.Text.Scoring, m.Text.LogitScale, m.Text.ContextLength));
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(ModelCatalog.ClipVitB32.Image.Preprocessing, ModelManifest.JsonOptions),
            System.Text.Json.JsonSerializer.Serialize(m.Image.Preprocessing, ModelManifest.JsonOptions)); // the catalog's CLIP recipe, from preprocessor_config.json
        await using var engine = new EmbeddingEngine(new ModelsOptions { Directory = _models }, new ImagingOptions());
        Assert.Equal(512, (await engine.EmbedTextsAsync(["a cat"], "synthetic-clip").DefaultTimeout()).Vectors[0].Length);
    }

    [Theory]
    [InlineData("vit", "model_type 'vit' in config.json is not supported; ImageEmbed runs clip and siglip exports")]
    [InlineData("bert", "model_type 'bert' in config.json is not supported")]
    public async Task Import_OtherModelType_RefusedWithTheReason(string type, string expected)
    {
        Dictionary<string, byte[]> files = SyntheticSiglip.RepositoryFiles();
        files["config.json"] = Encoding.UTF8.GetBytes($$"""{ "model_type": "{{type}}" }""");
        _hub.Add("test/other", files);

        var e = await Assert.ThrowsAsync<ModelDownloadException>(() => Importer.ImportAsync(HubReference.Parse("hf:test/other"), new HubImportOptions(), null, default)).DefaultTimeout();

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_models, "other")));
    }

    [Fact]
    public async Task Import_MissingTextTower_RefusedNamingTheFile()
    {
        Dictionary<string, byte[]> files = SyntheticSiglip.RepositoryFiles();
        files.Remove("onnx/text_model.onnx");
        _hub.Add("test/vision-only", files);

        var e = await Assert.ThrowsAsync<ModelDownloadException>(() => Importer.ImportAsync(HubReference.Parse("hf:test/vision-only"), new HubImportOptions { LogitScale = 1, LogitBias = 0 }, null, default)).DefaultTimeout();

        Assert.Contains("it has no onnx/text_model.onnx (its ONNX files: onnx/vision_model.onnx", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_models, "vision-only")));
    }

    [Fact]
    public async Task Import_TowerWithTheWrongOutput_NothingInstalled()
    {
        Dictionary<string, byte[]> files = SyntheticSiglip.RepositoryFiles();
        files["onnx/text_model.onnx"] = SyntheticTowers.Serialize(SyntheticTowers.Text("odd", "last_hidden_state", 768, 64, new Random(1)));
        _hub.Add("test/odd", files);

        var e = await Assert.ThrowsAsync<ModelDownloadException>(() => Importer.ImportAsync(HubReference.Parse("hf:test/odd"), new HubImportOptions { LogitScale = 1, LogitBias = 0 }, null, default)).DefaultTimeout();

        Assert.Contains("the text tower has no output 'text_embeds' or 'pooler_output'", e.Message, StringComparison.Ordinal);
        Assert.Contains("Nothing was installed", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_models, "odd")));
    }

    [Fact]
    public async Task Import_UnknownRepositoryOrRevision_Says404()
    {
        _hub.Add("test/synthetic-siglip", SyntheticSiglip.RepositoryFiles());

        var missing = await Assert.ThrowsAsync<ModelDownloadException>(() => Importer.ImportAsync(HubReference.Parse("hf:test/nothing-here"), new HubImportOptions(), null, default)).DefaultTimeout();
        var revision = await Assert.ThrowsAsync<ModelDownloadException>(() => Importer.ImportAsync(HubReference.Parse("hf:test/synthetic-siglip@v9"), new HubImportOptions(), null, default)).DefaultTimeout();

        Assert.Contains("hf:test/nothing-here@main: not found", missing.Message, StringComparison.Ordinal);
        Assert.Contains("(404). Check the repository name and revision.", revision.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("../outside")]
    [InlineData(".hidden")]
    [InlineData("a/b")]
    public async Task Import_NameNotAPlainFolderName_RefusedBeforeAnyRequest(string name)
    {
        _hub.Add("test/synthetic-siglip", SyntheticSiglip.RepositoryFiles());

        var e = await Assert.ThrowsAsync<ModelDownloadException>(() => Importer.ImportAsync(HubReference.Parse("hf:test/synthetic-siglip"),
            new HubImportOptions { Name = name, LogitScale = 1, LogitBias = 0 }, null, default)).DefaultTimeout();

        Assert.Contains($"'{name}' is not a plain folder name", e.Message, StringComparison.Ordinal);
        Assert.Empty(_hub.Requests);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_models));
        Assert.False(Directory.Exists(Path.Combine(_models, "..", "outside")));
    }

    [Theory]
    [InlineData("hf:owner")]
    [InlineData("hf:owner/repo/extra")]
    [InlineData("hf:../etc/passwd")]
    [InlineData("hf:owner/repo@../../x")]
    [InlineData("hf:owner/re po")]
    public void Parse_NotARepository_Refused(string text)
    {
        Assert.Throws<FormatException>(() => HubReference.Parse(text));
    }
}
