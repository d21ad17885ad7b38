using System.Security.Cryptography;
using ImageEmbed.Imaging;
using ImageEmbed.Models;
using ImageEmbed.Models.Catalog;
using ImageEmbed.Models.Embeddings;
using ImageEmbed.ModelTools.Import;
using ImageEmbed.Tests;

namespace ImageEmbed.Cli.Tests;

/// <summary>
/// <c>imageembed models quantize</c> end to end on small CLIP-shaped image models in a temporary models
/// folder: the variant is installed only when it embeds like the original, and refusals leave nothing.
/// </summary>
public sealed class QuantizeCommandTests : IDisposable
{
    private readonly string _models = Directory.CreateTempSubdirectory("imageembed-quantize-").FullName;

    private Dictionary<string, string> Env => new() { ["IMAGEEMBED_MODELS_DIR"] = _models, ["IMAGEEMBED_DATA_DIR"] = Path.Combine(_models, ".data") };

    [Fact]
    public async Task Quantize_TwoLayerModel_InstallsInt8VariantThatEmbedsInTheSameSpace()
    {
        InstallModel("tiny", TwoLayer(new Random(1)));

        CliRunner.Result result = await CliRunner.RunAsync(["models", "quantize", "tiny", "--seconds", "1"], Env);

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("tiny -> tiny-int8: 2 MatMul(s) int8 in the image tower", result.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"image parity over 16 image\(s\): mean cosine 0\.99\d+, min 0\.99\d+ \(required >= 0\.999\)", result.Stdout);
        Assert.Matches(@"speed, bare ONNX Runtime session, batch 8: tiny [\d.]+ images/s, tiny-int8 [\d.]+ images/s", result.Stdout);
        Assert.Contains("embedding space: shared with tiny", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("quantize: quantizing model.onnx", result.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_models, ".staging", "tiny-int8")));

        var registry = new ModelRegistry(new ModelsOptions { Directory = _models });
        InstalledModel source = registry.Find("tiny"), int8 = registry.Find("tiny-int8");
        Assert.Equal("tiny-int8", int8.Manifest.Name);
        Assert.StartsWith("int8 from tiny:", int8.Manifest.Description, StringComparison.Ordinal);
        Assert.Equal(Sha256(int8.ImageEncoderPath), int8.Manifest.Image.Sha256);
        Assert.Equal(new FileInfo(int8.ImageEncoderPath).Length, int8.Manifest.Image.Size);
        Assert.Equal(Sha256(source.ImageEncoderPath), int8.Manifest.Image.SpaceSha256);
        Assert.True(File.Exists(Path.Combine(int8.Directory, "notes", "LICENSE.txt")), "other files are copied");

        // The engine loads both; the variant's vectors are close to the original's and carry its space.
        await using var engine = new EmbeddingEngine(new ModelsOptions { Directory = _models }, new ImagingOptions());
        LoadedModel a = await engine.LoadAsync("tiny").DefaultTimeout(), b = await engine.LoadAsync("tiny-int8").DefaultTimeout();
        Assert.Equal(a.Space, b.Space);
        foreach (string file in TestPaths.DevFiles().Take(4))
        {
            byte[] bytes = await File.ReadAllBytesAsync(file);
            float[] fp32 = (await engine.EmbedImageAsync(bytes, "tiny").DefaultTimeout()).Vector;
            float[] q = (await engine.EmbedImageAsync(bytes, "tiny-int8").DefaultTimeout()).Vector;
            Assert.InRange(VectorMath.Cosine(fp32, q), 0.999f, 1.0001f);
            Assert.NotEqual(fp32, q);
        }
    }

    [Fact]
    public async Task Quantize_ModelWithTextTower_QuantizesBothTowersAndChecksTextParity()
    {
        InstallModel("clipish", TwoLayer(new Random(5)), TextTower(new Random(6)));

        CliRunner.Result result = await CliRunner.RunAsync(["models", "quantize", "clipish", "--seconds", "0"], Env);

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains(", 1 in the text tower (", result.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"text parity over 8 texts: mean cosine 0\.99\d+, min 0\.99\d+", result.Stdout);
        var registry = new ModelRegistry(new ModelsOptions { Directory = _models });
        InstalledModel source = registry.Find("clipish"), int8 = registry.Find("clipish-int8");
        Assert.Equal(Sha256(int8.TextEncoderPath!), int8.Manifest.Text!.Sha256);
        Assert.Equal(Sha256(source.TextEncoderPath!), int8.Manifest.Text.SpaceSha256);
        Assert.NotEqual(Sha256(source.TextEncoderPath!), Sha256(int8.TextEncoderPath!));

        await using var engine = new EmbeddingEngine(new ModelsOptions { Directory = _models }, new ImagingOptions());
        string[] texts = ["a photo of a cat", "a diagram of a bridge"];
        float[][] a = (await engine.EmbedTextsAsync(texts, "clipish").DefaultTimeout()).Vectors;
        float[][] b = (await engine.EmbedTextsAsync(texts, "clipish-int8").DefaultTimeout()).Vectors;
        for (int i = 0; i < texts.Length; i++) Assert.InRange(VectorMath.Cosine(a[i], b[i]), 0.999f, 1.0001f);
    }

    [Fact]
    public async Task Quantize_AsNameWithImagesFolderAndForce_ReplacesThatName()
    {
        InstallModel("tiny", TwoLayer(new Random(2)));
        Directory.CreateDirectory(Path.Combine(_models, "mine"));
        File.WriteAllText(Path.Combine(_models, "mine", "stale.txt"), "old");
        string images = Path.Combine(_models, ".images");
        Directory.CreateDirectory(images);
        foreach (string f in TestPaths.DevFiles().Take(5)) File.Copy(f, Path.Combine(images, Path.GetFileName(f)));

        CliRunner.Result taken = await CliRunner.RunAsync(["models", "quantize", "tiny", "--as", "mine", "--seconds", "0"], Env);
        CliRunner.Result result = await CliRunner.RunAsync(["models", "quantize", "tiny", "--as", "mine", "--images", images, "--seconds", "0", "--force"], Env);

        Assert.Equal(2, taken.ExitCode);
        Assert.Contains("Model 'mine' is already installed", taken.Stderr, StringComparison.Ordinal);
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("image parity over 5 image(s)", result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("speed", result.Stdout, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_models, "mine", "stale.txt")));
        Assert.Equal("mine", new ModelRegistry(new ModelsOptions { Directory = _models }).Find("mine").Manifest.Name);
    }

    [Fact]
    public async Task Quantize_PoolingOnlyModel_SaysNothingToQuantizeAndInstallsNothing()
    {
        InstallModel("pool", PoolOnly());

        CliRunner.Result result = await CliRunner.RunAsync(["models", "quantize", "pool"], Env);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("error: Model 'pool' has nothing to quantize: its image tower has no MatMul with a constant 2-D float weight of 4,096 or more elements", result.Stderr, StringComparison.Ordinal);
        Assert.Equal("", result.Stdout);
        Assert.False(Directory.Exists(Path.Combine(_models, "pool-int8")));
        Assert.False(Directory.Exists(Path.Combine(_models, ".staging", "pool-int8")));
    }

    [Fact]
    public async Task Quantize_UnknownModel_Exits2NamingTheInstalledOnes()
    {
        InstallModel("tiny", TwoLayer(new Random(3)));

        CliRunner.Result result = await CliRunner.RunAsync(["models", "quantize", "nope"], Env);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("error: Unknown model 'nope'. Installed: tiny.", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Quantize_ActivationOutlierModel_FailsParityAndInstallsNothing()
    {
        // One input feature is offset by 1000 before the MatMul (and the offset's product taken off after it,
        // in float): the activation's int8 step becomes ~4, which rounds the real features away.
        InstallModel("outlier", Outlier(new Random(4)));

        CliRunner.Result result = await CliRunner.RunAsync(["models", "quantize", "outlier", "--seconds", "0"], Env);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("error: the int8 model's embeddings are too far from outlier's (min cosine", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("< --min-cosine 0.999); nothing was installed.", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("image parity over 16 image(s)", result.Stdout, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_models, "outlier-int8")));
        Assert.False(Directory.Exists(Path.Combine(_models, ".staging", "outlier-int8")));
    }

    public void Dispose() => Directory.Delete(_models, recursive: true);

    private const int Dimensions = 64;

    private void InstallModel(string name, OnnxModel model, OnnxModel? text = null)
    {
        string dir = Path.Combine(_models, name);
        OnnxWriter.WriteFile(model, Path.Combine(dir, "model.onnx"));
        if (text is not null)
        {
            OnnxWriter.WriteFile(text, Path.Combine(dir, "text.onnx"));
            File.Copy(Path.Combine(TestPaths.Shared, "tokenizers", "clip-vit-b32", "tokenizer.json"), Path.Combine(dir, "tokenizer.json"));
        }
        Directory.CreateDirectory(Path.Combine(dir, "notes"));
        File.WriteAllText(Path.Combine(dir, "notes", "LICENSE.txt"), "test model");
        ModelManifest clip = ModelCatalog.ClipVitB32;
        ModelFolders.WriteManifest(dir, new ModelManifest
        {
            Name = name,
            Dimensions = Dimensions,
            Description = "test model",
            Image = clip.Image with { File = "model.onnx", Input = "pixel_values", Output = "image_embeds", Sha256 = Sha256(Path.Combine(dir, "model.onnx")), Size = null },
            Text = text is null ? null : clip.Text! with { File = "text.onnx", Sha256 = null, Size = null },
        });
    }

    // pixel_values → 8x8 average pool (a 28x28 grid per channel) → Flatten [N,2352] → MatMul 2352→128 + b → Relu → MatMul 128→64
    private static OnnxModel TwoLayer(Random rng) => Build("two_layer", rng,
    [
        new OnnxNode("MatMul", "fc1", ["flat", "w1"], ["h"], []),
        new OnnxNode("Add", "fc1_bias", ["h", "b1"], ["hb"], []),
        new OnnxNode("Relu", "relu", ["hb"], ["a"], []),
        new OnnxNode("MatMul", "fc2", ["a", "w2"], ["image_embeds"], []),
    ], new Dictionary<string, (long[] Dims, float Scale)> { ["w1"] = ([Flat, 128], 0.03f), ["b1"] = ([128], 0.1f), ["w2"] = ([128, Dimensions], 0.1f) });

    // input_ids int64 [N,77] → Cast float → Mul 1/49408 (ids to 0..1) → MatMul 77→64
    private static OnnxModel TextTower(Random rng)
    {
        float[] w = new float[77 * Dimensions];
        for (int i = 0; i < w.Length; i++) w[i] = (float)(rng.NextDouble() * 2 - 1) * 0.1f;
        return new OnnxModel(new OnnxGraph("text",
            [
                new OnnxNode("Cast", "cast", ["input_ids"], ["ids"], [OnnxAttribute.Int("to", (long)OnnxDataType.Float)]),
                new OnnxNode("Mul", "scale", ["ids", "vocab"], ["scaled"], []),
                new OnnxNode("MatMul", "projection", ["scaled", "w"], ["text_embeds"], []),
            ],
            [OnnxTensor.Float("vocab", [], new[] { 1f / 49408 }), OnnxTensor.Float("w", [77, Dimensions], w)],
            [new OnnxValueInfo("input_ids", OnnxDataType.Int64, [OnnxDim.Symbolic("batch_size"), OnnxDim.Fixed(77)])],
            [new OnnxValueInfo("text_embeds", OnnxDataType.Float, [OnnxDim.Symbolic("batch_size"), OnnxDim.Fixed(Dimensions)])]), "text tower (tests)") { OpsetVersion = 17 };
    }

    private static OnnxModel PoolOnly() => new(new OnnxGraph("pool_only",
        [
            new OnnxNode("AveragePool", "pool", ["pixel_values"], ["pooled"], [OnnxAttribute.Ints("kernel_shape", 56, 28), OnnxAttribute.Ints("strides", 56, 28)]),
            new OnnxNode("Flatten", "flatten", ["pooled"], ["flat"], [OnnxAttribute.Int("axis", 1)]),
            new OnnxNode("Identity", "out", ["flat"], ["image_embeds"], []),
        ], [], [PixelValues], [Embeds(96)]), "pool only (tests)") { OpsetVersion = 17 };

    private static OnnxModel Outlier(Random rng)
    {
        OnnxModel model = Build("outlier", rng,
        [
            new OnnxNode("Add", "offset", ["flat", "c"], ["shifted"], []),
            new OnnxNode("MatMul", "fc", ["shifted", "w"], ["y"], []),
            new OnnxNode("Add", "unshift", ["y", "d"], ["image_embeds"], []),
        ], new Dictionary<string, (long[] Dims, float Scale)> { ["w"] = ([Flat, Dimensions], 0.03f) });
        float[] w = model.Graph.Initializers.Single(t => t.Name == "w").RawData.ToArray() is var raw ? System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(raw).ToArray() : [];
        float[] c = new float[Flat];
        c[0] = 1000f;
        float[] d = new float[Dimensions];
        for (int j = 0; j < Dimensions; j++) d[j] = -1000f * w[j]; // c · w, row 0 only
        return model with
        {
            Graph = model.Graph with { Initializers = [.. model.Graph.Initializers, OnnxTensor.Float("c", [Flat], c), OnnxTensor.Float("d", [Dimensions], d)] },
        };
    }

    private const int Flat = 3 * 28 * 28;

    private static OnnxModel Build(string name, Random rng, OnnxNode[] layers, Dictionary<string, (long[] Dims, float Scale)> weights)
    {
        OnnxNode[] head =
        [
            new OnnxNode("AveragePool", "pool", ["pixel_values"], ["pooled"], [OnnxAttribute.Ints("kernel_shape", 8, 8), OnnxAttribute.Ints("strides", 8, 8)]),
            new OnnxNode("Flatten", "flatten", ["pooled"], ["flat"], [OnnxAttribute.Int("axis", 1)]),
        ];
        OnnxTensor[] tensors = weights.Select(p =>
        {
            float[] values = new float[p.Value.Dims.Aggregate(1L, (a, b) => a * b)];
            for (int i = 0; i < values.Length; i++) values[i] = (float)(rng.NextDouble() * 2 - 1) * p.Value.Scale;
            return OnnxTensor.Float(p.Key, p.Value.Dims, values);
        }).ToArray();
        return new OnnxModel(new OnnxGraph(name, [.. head, .. layers], tensors, [PixelValues], [Embeds(Dimensions)]), "quantize test model") { OpsetVersion = 17 };
    }

    private static OnnxValueInfo PixelValues =>
        new("pixel_values", OnnxDataType.Float, [OnnxDim.Symbolic("batch_size"), OnnxDim.Fixed(3), OnnxDim.Fixed(224), OnnxDim.Fixed(224)]);

    private static OnnxValueInfo Embeds(int dims) => new("image_embeds", OnnxDataType.Float, [OnnxDim.Symbolic("batch_size"), OnnxDim.Fixed(dims)]);

    private static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
}
