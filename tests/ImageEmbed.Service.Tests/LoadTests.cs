using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ImageEmbed.Tests;

namespace ImageEmbed.Service.Tests;

public sealed class LoadTests(OpenServiceFixture fixture) : IClassFixture<OpenServiceFixture>
{
    private readonly ServiceServer _service = fixture.Service;
    private readonly TestImageServer _images = fixture.Images;

    [Fact]
    public async Task SixtyFourConcurrent_MixedGoodAndBad_EachGetsItsOwnAnswer()
    {
        string[] good = TestPaths.DevFiles().Take(16).ToArray();
        string[] bad = ["truncated.jpg", "html_renamed.png", "empty.jpg", "bomb_16000x16000.png", "not_an_image.jpg", "svg_with_external_ref.svg"];
        var expected = new Dictionary<string, float[]>();
        foreach (string file in good) expected[file] = await EmbedAloneAsync(file);

        var requests = new List<(string Image, string? GoodFile)>();
        for (int i = 0; i < 64; i++)
        {
            if (i % 3 == 2)
            {
                string file = bad[i % bad.Length];
                requests.Add((i % 2 == 0 ? _images.Format(file) : TestImages.DataUri(TestPaths.Format(file)), null));
            }
            else
            {
                string file = good[i % good.Length];
                requests.Add((i % 2 == 0 ? _images.Dev(Path.GetFileName(file)) : TestImages.DataUri(file), file));
            }
        }

        HttpResponseMessage[] responses = await Task.WhenAll(requests.Select(r =>
            _service.Client.PostAsync("/api/ai/embeddings", Json(new { image = r.Image })))).DefaultTimeout();

        for (int i = 0; i < requests.Count; i++)
        {
            using HttpResponseMessage response = responses[i];
            if (requests[i].GoodFile is string file)
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                float[] vector = ResponseAssert.Floats((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("embedding"));
                float[] alone = expected[file];
                for (int d = 0; d < alone.Length; d++) Assert.True(Math.Abs(alone[d] - vector[d]) <= 1e-5, $"request {i} dim {d}");
            }
            else
            {
                await ResponseAssert.ErrorAsync(response, HttpStatusCode.UnprocessableEntity);
            }
        }

        using HttpResponseMessage ready = await _service.Anonymous.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _service.Client.PostAsync("/api/ai/embeddings", Json(new { image = TestImages.DataUri(good[0]) }))).StatusCode);
    }

    private async Task<float[]> EmbedAloneAsync(string file)
    {
        using HttpResponseMessage response = await _service.Client.PostAsync("/api/ai/embeddings", Json(new { image = TestImages.DataUri(file) })).DefaultTimeout();
        return ResponseAssert.Floats((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("embedding"));
    }

    internal static StringContent Json(object body) => new(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
}

public sealed class LimitsTests
{
    [Fact]
    public async Task QueueFull_Returns503WithRetryAfter_AndServiceRecovers()
    {
        await using ServiceServer service = await ServiceServer.StartAsync(new Dictionary<string, string?>
        {
            ["Models:QueueCapacity"] = "1",
            ["Models:MaxBatchSize"] = "1",
            ["Models:MaxBatchDelayMs"] = "0",
        });
        // Tiny images decode in well under a millisecond, far faster than inference: the queue fills.
        string tiny = TestImages.DataUri(TestPaths.Format("tiny_1x1.png"));

        HttpResponseMessage[] responses = await Task.WhenAll(Enumerable.Range(0, 48).Select(_ =>
            service.Client.PostAsync("/api/ai/embeddings", LoadTests.Json(new { image = tiny })))).DefaultTimeout();

        HttpResponseMessage[] refused = responses.Where(r => r.StatusCode == HttpStatusCode.ServiceUnavailable).ToArray();
        Assert.NotEmpty(refused);
        Assert.Contains(responses, r => r.StatusCode == HttpStatusCode.OK);
        Assert.All(responses, r => Assert.True(r.StatusCode is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable));
        // Retry-After is the queue's drain estimate, and the message says the same number.
        int wait = (int)refused[0].Headers.RetryAfter!.Delta!.Value.TotalSeconds;
        Assert.InRange(wait, 1, 60);
        await ResponseAssert.ErrorAsync(refused[0], HttpStatusCode.ServiceUnavailable, $"(Models:QueueCapacity = 1); retry in about {wait} s.");
        foreach (HttpResponseMessage r in responses) r.Dispose();

        using HttpResponseMessage after = await service.Client.PostAsync("/api/ai/embeddings", LoadTests.Json(new { image = tiny })).DefaultTimeout();
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public async Task RateLimit_PerKey_Returns429WithRetryAfterInTheRoutesShape()
    {
        await using ServiceServer service = await ServiceServer.StartAsync(new Dictionary<string, string?>
        {
            ["Service:RateLimitPerMinute"] = "3",
            ["Service:ApiKeys"] = ServiceServer.Key + ",second-key-abcdefgh",
        });
        string tiny = TestImages.DataUri(TestPaths.Format("tiny_1x1.png"));
        for (int i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.OK, (await service.Client.PostAsync("/api/ai/embeddings", LoadTests.Json(new { image = tiny })).DefaultTimeout()).StatusCode);

        using HttpResponseMessage limited = await service.Client.PostAsync("/api/ai/embeddings", LoadTests.Json(new { image = tiny })).DefaultTimeout();
        // The real wait: a token comes back every 20 s at 3 per minute, less the time the three requests took.
        int wait = (int)limited.Headers.RetryAfter!.Delta!.Value.TotalSeconds;
        Assert.InRange(wait, 5, 20);
        await ResponseAssert.ErrorAsync(limited, HttpStatusCode.TooManyRequests, $"3 requests per minute per API key (IMAGEEMBED_RATE_LIMIT_PER_MINUTE). Retry in {wait} s.");
        using HttpResponseMessage limitedOpenAi = await service.Client.PostAsync("/v1/embeddings", LoadTests.Json(new { input = tiny })).DefaultTimeout();
        Assert.Equal("rate_limit_exceeded", (await ResponseAssert.OpenAiErrorAsync(limitedOpenAi, HttpStatusCode.TooManyRequests)).GetProperty("code").GetString());

        // Another key has its own allowance.
        using var other = new HttpRequestMessage(HttpMethod.Post, "/api/ai/embeddings") { Content = LoadTests.Json(new { image = tiny }) };
        other.Headers.Add("x-api-key", "second-key-abcdefgh");
        Assert.Equal(HttpStatusCode.OK, (await service.Anonymous.SendAsync(other).DefaultTimeout()).StatusCode);
    }
}
