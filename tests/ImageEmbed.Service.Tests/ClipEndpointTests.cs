using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ImageEmbed.Tests;

namespace ImageEmbed.Service.Tests;

/// <summary>The service with a synthetic CLIP-shaped model as the default, and the image-only model beside it.</summary>
public sealed class ClipServiceFixture : IAsyncLifetime
{
    private readonly string _models = Directory.CreateTempSubdirectory("imageembed-clip-service-").FullName;

    public ServiceServer Service { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        SyntheticClip.Install(_models);
        File.CreateSymbolicLink(Path.Combine(_models, "mobilenet-v2-140"), Path.Combine(TestPaths.ModelsDir, "mobilenet-v2-140"));
        Service = await ServiceServer.StartAsync(new Dictionary<string, string?> { ["Models:Directory"] = _models });
    }

    public async Task DisposeAsync()
    {
        await Service.DisposeAsync();
        Directory.Delete(_models, recursive: true);
    }
}

public sealed class ClipEndpointTests(ClipServiceFixture fixture) : IClassFixture<ClipServiceFixture>
{
    private readonly ServiceServer _service = fixture.Service;

    [Fact]
    public async Task Embeddings_TextAndImageMixed_SameSpaceWithTokenUsage()
    {
        string image = TestImages.DataUri(TestPaths.DevFiles()[0]);
        using HttpResponseMessage response = await _service.Client.PostAsJsonAsync("/v1/embeddings", new { input = new object[] { "a photo of a cat", new { image }, new { text = "a red car" } } }).DefaultTimeout();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonElement root = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("clip-vit-b32", root.GetProperty("model").GetString());
        float[][] vectors = root.GetProperty("data").EnumerateArray().Select(d => ResponseAssert.Floats(d.GetProperty("embedding"))).ToArray();
        Assert.Equal(3, vectors.Length);
        Assert.All(vectors, v => Assert.Equal(512, v.Length));
        Assert.All(vectors, v => Assert.Equal(1.0, Math.Sqrt(v.Sum(x => (double)x * x)), 5));
        Assert.Equal(12, root.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());

        using HttpResponseMessage single = await _service.Client.PostAsJsonAsync("/v1/embeddings", new { input = "a photo of a cat" }).DefaultTimeout();
        float[] again = ResponseAssert.Floats((await single.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("data")[0].GetProperty("embedding"));
        Assert.Equal(vectors[0], again);
    }

    [Fact]
    public async Task Classify_Labels_ScoresSumToOneHighestFirst()
    {
        string image = TestImages.DataUri(TestPaths.DevFiles()[3]);
        using HttpResponseMessage response = await _service.Client.PostAsJsonAsync("/v1/classify", new { image, labels = new[] { "cat", "dog", "car", "bridge" } }).DefaultTimeout();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonElement root = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("softmax", root.GetProperty("scoring").GetString());
        float[] scores = root.GetProperty("scores").EnumerateArray().Select(s => s.GetProperty("score").GetSingle()).ToArray();
        Assert.Equal(1.0, scores.Sum(), 4);
        Assert.Equal(scores.OrderByDescending(s => s), scores);
        Assert.Equal(["bridge", "car", "cat", "dog"], root.GetProperty("scores").EnumerateArray().Select(s => s.GetProperty("label").GetString()).Order());
    }

    [Fact]
    public async Task Classify_ImageOnlyModel_Returns400NamingItsModalities()
    {
        string image = TestImages.DataUri(TestPaths.DevFiles()[3]);
        using HttpResponseMessage response = await _service.Client.PostAsJsonAsync("/v1/classify", new { image, labels = new[] { "cat" }, model = "mobilenet-v2-140" }).DefaultTimeout();
        await ResponseAssert.ErrorAsync(response, HttpStatusCode.BadRequest, "Model 'mobilenet-v2-140' supports image only");
    }

    [Theory]
    [InlineData("""{"image": "data:image/png;base64,AAAA"}""", "'labels' must be a non-empty array")]
    [InlineData("""{"image": "data:image/png;base64,AAAA", "labels": ["cat", ""]}""", "Every label must be a non-empty string")]
    [InlineData("""{"image": "data:image/png;base64,AAAA", "labels": ["cat"], "prompt_template": "a photo"}""", "must contain {label}")]
    [InlineData("""{"labels": ["cat"]}""", "Missing required field 'image'")]
    [InlineData("""{"image": "data:image/png;base64,AAAA", "labels": ["cat", "dog", "cat"]}""", "'labels' lists 'cat' more than once; give each label once.")]
    public async Task Classify_BadRequest_Returns400(string body, string message)
    {
        using HttpResponseMessage response = await _service.Client.PostAsync("/v1/classify", new StringContent(body, System.Text.Encoding.UTF8, "application/json")).DefaultTimeout();
        await ResponseAssert.ErrorAsync(response, HttpStatusCode.BadRequest, message);
    }

    [Fact]
    public async Task Models_ListsTextModality()
    {
        JsonElement root = await _service.Client.GetFromJsonAsync<JsonElement>("/v1/models").DefaultTimeout();
        JsonElement clip = root.GetProperty("data").EnumerateArray().Single(m => m.GetProperty("id").GetString() == "clip-vit-b32");
        Assert.Equal(["image", "text"], clip.GetProperty("modalities").EnumerateArray().Select(e => e.GetString()));
        Assert.True(clip.GetProperty("default").GetBoolean());
    }

    [Fact]
    public async Task EmbeddingSpace_SameOnBothApisStablePerModelDifferentAcrossModels()
    {
        string image = TestImages.DataUri(TestPaths.DevFiles()[0]);
        string clip = await SpaceAsync(image, "clip-vit-b32");
        string mobilenet = await SpaceAsync(image, "mobilenet-v2-140");
        Assert.Equal(clip, await SpaceAsync("a photo of a cat", "clip-vit-b32"));
        Assert.NotEqual(clip, mobilenet);

        using HttpResponseMessage coreviz = await _service.Client.PostAsJsonAsync("/api/ai/embeddings", new { image, model = "mobilenet-v2-140" }).DefaultTimeout();
        Assert.Equal(mobilenet, (await coreviz.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("embedding_space").GetString());
        Assert.Equal(mobilenet, coreviz.Headers.GetValues("X-Embedding-Space").Single());
    }

    [Fact]
    public async Task Collection_RefusesVectorsFromAnotherSpace_NamingBothFingerprints()
    {
        string image = TestImages.DataUri(TestPaths.DevFiles()[0]);
        string mobilenet = await SpaceAsync(image, "mobilenet-v2-140");
        string clip = await SpaceAsync(image, "clip-vit-b32");
        string name = "spaces-" + Guid.NewGuid().ToString("N")[..8];
        using HttpResponseMessage created = await _service.Client.PutAsJsonAsync($"/v1/collections/{name}", new { model = "mobilenet-v2-140" }).DefaultTimeout();
        Assert.Equal(mobilenet, (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("embedding_space").GetString());
        float[] vector = new float[1792];
        vector[0] = 1;

        using HttpResponseMessage foreign = await _service.Client.PostAsJsonAsync($"/v1/collections/{name}/items", new { embedding_space = clip, items = new[] { new { id = "x", vector } } }).DefaultTimeout();
        string message = await ResponseAssert.ErrorAsync(foreign, HttpStatusCode.Conflict);
        Assert.Contains(mobilenet, message, StringComparison.Ordinal);
        Assert.Contains(clip, message, StringComparison.Ordinal);

        using HttpResponseMessage search = await _service.Client.PostAsJsonAsync($"/v1/collections/{name}/search", new { vector, embedding_space = clip }).DefaultTimeout();
        await ResponseAssert.ErrorAsync(search, HttpStatusCode.Conflict, clip);

        using HttpResponseMessage same = await _service.Client.PostAsJsonAsync($"/v1/collections/{name}/items", new { embedding_space = mobilenet, items = new[] { new { id = "x", vector } } }).DefaultTimeout();
        Assert.Equal(1, (await same.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("upserted").GetInt32());
    }

    private async Task<string> SpaceAsync(string input, string model)
    {
        using HttpResponseMessage response = await _service.Client.PostAsJsonAsync("/v1/embeddings", new { input, model }).DefaultTimeout();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        string space = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("embedding_space").GetString()!;
        Assert.Equal(space, response.Headers.GetValues("X-Embedding-Space").Single());
        return space;
    }
}
