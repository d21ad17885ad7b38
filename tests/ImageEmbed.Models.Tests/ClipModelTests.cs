using ImageEmbed.Imaging;
using ImageEmbed.Models.Catalog;
using ImageEmbed.Models.Embeddings;
using ImageEmbed.Tests;

namespace ImageEmbed.Models.Tests;

/// <summary>A CLIP-shaped model, loaded through its catalog manifest, end to end through the engine.</summary>
public sealed class ClipModelTests : IAsyncLifetime
{
    private readonly string _models = Directory.CreateTempSubdirectory("imageembed-clip-").FullName;
    private EmbeddingEngine _engine = null!;

    public Task InitializeAsync()
    {
        SyntheticClip.Install(_models);
        File.CreateSymbolicLink(Path.Combine(_models, "mobilenet-v2-140"), Path.Combine(TestPaths.ModelsDir, "mobilenet-v2-140"));
        _engine = new EmbeddingEngine(new ModelsOptions { Directory = _models }, new ImagingOptions());
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _engine.DisposeAsync();
        Directory.Delete(_models, recursive: true);
    }

    [Fact]
    public void Default_ClipInstalled_IsTheRecommendedModel()
    {
        Assert.Equal("clip-vit-b32", _engine.Registry.ResolveName("default"));
    }

    [Fact]
    public async Task TextAndImage_DeterministicUnitVectorsOfTheManifestDimension()
    {
        TextEmbeddings first = await _engine.EmbedTextsAsync(["a photo of a cat", "a red car"], null).DefaultTimeout();
        TextEmbeddings again = await _engine.EmbedTextsAsync(["a photo of a cat"], null).DefaultTimeout();
        byte[] photo = File.ReadAllBytes(TestPaths.DevFiles()[0]);
        ImageEmbedding image = await _engine.EmbedImageAsync(photo, null).DefaultTimeout();
        ImageEmbedding imageAgain = await _engine.EmbedImageAsync(photo, null).DefaultTimeout();

        Assert.Equal("clip-vit-b32", first.Model);
        Assert.All(first.Vectors, v => Assert.Equal(512, v.Length));
        Assert.All(first.Vectors.Append(image.Vector), v => Assert.Equal(1.0, Math.Sqrt(v.Sum(x => (double)x * x)), 5));
        Assert.Equal(512, image.Dimensions);
        Assert.Equal(first.Vectors[0], again.Vectors[0]);
        Assert.Equal(image.Vector, imageAgain.Vector);
        Assert.NotEqual(first.Vectors[0], first.Vectors[1]);
        Assert.Equal(7 + 5, first.Tokens); // BOS + 5 words + EOS, and BOS + 3 words + EOS
    }

    [Fact]
    public async Task TextSearch_RanksTheClosestStoredVectorFirst()
    {
        string[] captions = ["a photo of a cat", "a diagram of a bridge", "a bowl of soup", "two dogs playing"];
        TextEmbeddings stored = await _engine.EmbedTextsAsync(captions, null).DefaultTimeout();
        var items = new List<(string Id, float[] Vector)>();
        for (int i = 0; i < captions.Length; i++) items.Add(($"caption-{i}", stored.Vectors[i]));
        foreach (string file in TestPaths.DevFiles().Take(6))
            items.Add((Path.GetFileName(file), (await _engine.EmbedImageAsync(File.ReadAllBytes(file), null).DefaultTimeout()).Vector));

        float[] query = (await _engine.EmbedTextsAsync(["a bowl of soup"], null).DefaultTimeout()).Vectors[0];
        string best = items.OrderByDescending(item => VectorMath.Cosine(query, item.Vector)).First().Id;

        Assert.Equal("caption-2", best);
    }

    [Fact]
    public async Task ZeroShot_SoftmaxScores_SumToOne()
    {
        LoadedModel model = await _engine.LoadAsync(null).DefaultTimeout();
        float[] image = (await _engine.EmbedImageAsync(File.ReadAllBytes(TestPaths.DevFiles()[5]), null).DefaultTimeout()).Vector;
        string[] labels = ["cat", "dog", "car", "soup"];
        TextEmbeddings prompts = await _engine.EmbedTextsAsync(labels.Select(l => model.Text!.Spec.PromptTemplate.Replace("{label}", l, StringComparison.Ordinal)).ToArray(), null).DefaultTimeout();

        float[] scores = ZeroShot.Scores(image, prompts.Vectors, model.Text!.Spec);

        Assert.Equal(1.0, scores.Sum(), 5);
        Assert.All(scores, s => Assert.InRange(s, 0f, 1f));
    }

    [Fact]
    public async Task Text_OnImageOnlyModel_RefusedNamingItsModalities()
    {
        var e = await Assert.ThrowsAsync<UnsupportedModalityException>(() => _engine.EmbedTextsAsync(["a cat"], "mobilenet-v2-140")).DefaultTimeout();
        Assert.Contains("Model 'mobilenet-v2-140' supports image only", e.Message, StringComparison.Ordinal);
    }
}
