using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Globalization;
using ImageEmbed.Tests;

namespace ImageEmbed.Service.Tests;

/// <summary>
/// The service with a synthetic SigLIP-shaped export installed the way a user would, by
/// <c>imageembed models pull hf:</c> from a loopback server laid out like the hub (a fake) named by IMAGEEMBED_MODEL_MIRROR.
/// </summary>
public sealed class SiglipServiceFixture : IAsyncLifetime
{
    public const float Scale = 10f, Bias = -2f;
    private readonly string _models = Directory.CreateTempSubdirectory("imageembed-siglip-service-").FullName;

    public ServiceServer Service { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        using (var hub = new HubMirror())
        {
            hub.Add("test/synthetic-siglip", SyntheticSiglip.RepositoryFiles());
            CliRunner.Result pull = await CliRunner.RunAsync(
                ["models", "pull", "hf:test/synthetic-siglip", "--logit-scale", Scale.ToString(CultureInfo.InvariantCulture), "--logit-bias", Bias.ToString(CultureInfo.InvariantCulture)],
                new Dictionary<string, string> { ["IMAGEEMBED_MODELS_DIR"] = _models, ["IMAGEEMBED_MODEL_MIRROR"] = hub.Url });
            if (pull.ExitCode != 0) throw new InvalidOperationException($"models pull hf: failed: {pull.Stderr}");
        }
        Service = await ServiceServer.StartAsync(new Dictionary<string, string?> { ["Models:Directory"] = _models });
    }

    public async Task DisposeAsync()
    {
        await Service.DisposeAsync();
        Directory.Delete(_models, recursive: true);
    }
}

public sealed class SiglipEndpointTests(SiglipServiceFixture fixture) : IClassFixture<SiglipServiceFixture>
{
    private readonly ServiceServer _service = fixture.Service;

    [Fact]
    public async Task Classify_SiglipModel_IndependentSigmoidScoresFromItsCalibration()
    {
        string image = TestImages.DataUri(TestPaths.DevFiles()[3]);
        string[] labels = ["cat", "dog", "car"];

        using HttpResponseMessage response = await _service.Client.PostAsJsonAsync("/v1/classify", new { image, labels, model = "synthetic-siglip" }).DefaultTimeout();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonElement root = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("sigmoid", root.GetProperty("scoring").GetString());
        Dictionary<string, float> scores = root.GetProperty("scores").EnumerateArray().ToDictionary(s => s.GetProperty("label").GetString()!, s => s.GetProperty("score").GetSingle());
        // The same scores from the two embeddings: sigmoid(scale · cos + bias) per label, with SigLIP's prompt template.
        float[] imageVector = await EmbedAsync(new { image });
        foreach (string label in labels)
        {
            float[] prompt = await EmbedAsync($"This is a photo of {label}.");
            float cos = System.Numerics.Tensors.TensorPrimitives.Dot(imageVector, prompt);
            Assert.Equal(1f / (1f + MathF.Exp(-(SiglipServiceFixture.Scale * cos + SiglipServiceFixture.Bias))), scores[label], 4);
        }
        Assert.NotEqual(1f, scores.Values.Sum(), 2);
    }

    [Fact]
    public async Task Embeddings_SiglipText_768DimensionsAndSiglipTokenCount()
    {
        using HttpResponseMessage response = await _service.Client.PostAsJsonAsync("/v1/embeddings", new { input = new[] { "A photo of a cat." }, model = "synthetic-siglip" }).DefaultTimeout();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonElement root = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(768, root.GetProperty("data")[0].GetProperty("embedding").GetArrayLength());
        Assert.Equal(6, root.GetProperty("usage").GetProperty("prompt_tokens").GetInt32()); // ▁a ▁photo ▁of ▁a ▁cat </s>
    }

    private async Task<float[]> EmbedAsync(object input)
    {
        using HttpResponseMessage response = await _service.Client.PostAsJsonAsync("/v1/embeddings", new { input = new[] { input }, model = "synthetic-siglip" }).DefaultTimeout();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return ResponseAssert.Floats((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("data")[0].GetProperty("embedding"));
    }
}
