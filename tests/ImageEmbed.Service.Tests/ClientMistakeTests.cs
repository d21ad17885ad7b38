using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using ImageEmbed.Tests;

namespace ImageEmbed.Service.Tests;

/// <summary>
/// Client mistakes a hostile or careless client makes, each answered with a 4xx in the route's shape (never a 500,
/// never a silent "ok"): text that is not JSON, vectors outside float's comfortable range, ambiguous upserts,
/// a misused <c>dimensions</c>, and asking for the default model while it is still being installed.
/// </summary>
public sealed class ClientMistakeTests : IAsyncLifetime
{
    private ServiceServer _service = null!;
    private HttpClient Client => _service.Client;

    public async Task InitializeAsync() => _service = await ServiceServer.StartAsync();

    public Task DisposeAsync() => _service.DisposeAsync().AsTask();

    private static ByteArrayContent RawJson(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        return content;
    }

    [Fact]
    public async Task JsonWithInvalidUtf8OrALoneSurrogate_Is400OnEveryShape()
    {
        byte[] invalidUtf8 = [.. "{\"image\":\""u8, 0xFF, 0xFE, .. "\"}"u8];
        byte[] loneSurrogate = "{\"image\":\"\\ud800\"}"u8.ToArray();
        foreach (byte[] body in new[] { invalidUtf8, loneSurrogate })
        {
            using HttpResponseMessage coreViz = await Client.PostAsync("/api/ai/embeddings", RawJson(body)).DefaultTimeout();
            await ResponseAssert.ErrorAsync(coreViz, HttpStatusCode.BadRequest, "Malformed JSON body: ");

            using HttpResponseMessage v1 = await Client.PostAsync("/v1/embeddings", RawJson(Swap(body, "image", "input"))).DefaultTimeout();
            Assert.Equal("invalid_json", (await ResponseAssert.OpenAiErrorAsync(v1, HttpStatusCode.BadRequest)).GetProperty("code").GetString());
        }
        using HttpResponseMessage ready = await _service.Anonymous.GetAsync("/readyz").DefaultTimeout();
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    [Fact]
    public async Task HugeButFiniteVectors_AreNormalized_NotStoredAsZeros()
    {
        const string Name = "huge-vectors";
        int d = await CreateCollectionAsync(Name);
        float[] huge = Enumerable.Range(0, d).Select(i => i % 2 == 0 ? 1e19f : 3e19f).ToArray(); // the float norm overflows
        float[] other = Enumerable.Range(0, d).Select(i => i == 0 ? 1f : 0f).ToArray();
        using HttpResponseMessage upsert = await Client.PostAsJsonAsync($"/v1/collections/{Name}/items",
            new { items = new object[] { new { id = "huge", vector = huge }, new { id = "axis", vector = other } } }).DefaultTimeout();
        Assert.Equal(2, (await upsert.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("upserted").GetInt32());

        // A query of 1e38s in the same direction finds it with cosine 1 (it used to score 0 against everything).
        float[] query = huge.Select(v => v * 3e18f).ToArray();
        Assert.All(query, v => Assert.True(float.IsFinite(v)));
        using HttpResponseMessage search = await Client.PostAsJsonAsync($"/v1/collections/{Name}/search", new { vector = query, k = 2 }).DefaultTimeout();
        JsonElement hits = (await search.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("results");
        Assert.Equal("huge", hits[0].GetProperty("id").GetString());
        Assert.Equal(1.0, hits[0].GetProperty("score").GetDouble(), 4);

        using HttpResponseMessage zeros = await Client.PostAsJsonAsync($"/v1/collections/{Name}/search", new { vector = new float[d], k = 2 }).DefaultTimeout();
        await ResponseAssert.ErrorAsync(zeros, HttpStatusCode.BadRequest, "The vector of the query vector is all zeros: it has no direction to normalize.");
    }

    [Fact]
    public async Task AmbiguousUpsertItems_AreRefusedEachWithItsReason_TheRestStored()
    {
        const string Name = "ambiguous";
        int d = await CreateCollectionAsync(Name);
        float[] vector = Enumerable.Repeat(1f, d).ToArray();
        string image = TestImages.DataUri(TestPaths.DevFiles()[0]);
        using HttpResponseMessage response = await Client.PostAsJsonAsync($"/v1/collections/{Name}/items", new
        {
            items = new object[]
            {
                new { id = "both", image, vector },
                new { id = "twice", vector },
                new { id = "fine", vector },
                new { id = "twice", image },
            },
        }).DefaultTimeout();
        JsonElement body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((1, 3), (body.GetProperty("upserted").GetInt32(), body.GetProperty("failed").GetInt32()));
        JsonElement[] results = body.GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal("Item 'both' has both an 'image' and a 'vector'; give one.", results[0].GetProperty("error").GetProperty("message").GetString());
        foreach (int i in new[] { 1, 3 })
        {
            Assert.Equal(400, results[i].GetProperty("error").GetProperty("status").GetInt32());
            Assert.Equal("Item id 'twice' appears 2 times in this request; give each id once.", results[i].GetProperty("error").GetProperty("message").GetString());
        }
        Assert.Equal("ok", results[2].GetProperty("status").GetString());
        Assert.Equal(1, (await (await Client.GetAsync($"/v1/collections/{Name}").DefaultTimeout()).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task CoreVizDimensions_IsValidatedAsOnV1Embeddings()
    {
        string image = TestImages.DataUri(TestPaths.DevFiles()[0]);
        using HttpResponseMessage plain = await Client.PostAsJsonAsync("/api/ai/embeddings", new { image }).DefaultTimeout();
        int own = (await plain.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("dimensions").GetInt32();

        using HttpResponseMessage same = await Client.PostAsJsonAsync("/api/ai/embeddings", new { image, dimensions = own }).DefaultTimeout();
        Assert.Equal(own, (await same.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("embedding").GetArrayLength());
        using HttpResponseMessage text = await Client.PostAsJsonAsync("/api/ai/embeddings", new { image, dimensions = "-1" }).DefaultTimeout();
        await ResponseAssert.ErrorAsync(text, HttpStatusCode.BadRequest, "'dimensions' must be an integer.");
        // The test model was not trained for truncation: any other size is refused, naming it.
        foreach (int wrong in new[] { 0, -1, own / 2 })
        {
            using HttpResponseMessage refused = await Client.PostAsJsonAsync("/api/ai/embeddings", new { image, dimensions = wrong }).DefaultTimeout();
            await ResponseAssert.ErrorAsync(refused, HttpStatusCode.BadRequest, $"does not support 'dimensions' other than its own {own}");
        }
    }

    [Fact]
    public async Task DefaultModel_WhileTheFirstStartIsStillInstalling_Is503LoadingWithRetryAfter()
    {
        // An empty models folder and a model mirror that accepts connections but never answers: the first start's
        // download hangs, so the default model is still "being installed" for as long as the test needs.
        using var mirror = new TcpListener(IPAddress.Loopback, 0);
        mirror.Start();
        string models = Directory.CreateTempSubdirectory("imageembed-nomodels-").FullName;
        await using ServiceServer starting = await ServiceServer.StartWithoutWaitingAsync(new Dictionary<string, string?>
        {
            ["Models:Directory"] = models,
            ["Models:AutoPull"] = "true",
            ["Models:Mirror"] = $"http://127.0.0.1:{((IPEndPoint)mirror.LocalEndpoint).Port}",
        });
        using HttpResponseMessage ready = await starting.Anonymous.GetAsync("/readyz").DefaultTimeout();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);

        using HttpResponseMessage response = await starting.Client.PostAsJsonAsync("/api/ai/embeddings", new { image = TestImages.DataUri(TestPaths.DevFiles()[0]) }).DefaultTimeout();
        await ResponseAssert.ErrorAsync(response, HttpStatusCode.ServiceUnavailable, "The service is still installing or loading its default model (see /readyz); retry shortly.");
        Assert.Equal(TimeSpan.FromSeconds(5), response.Headers.RetryAfter?.Delta);
        // A model that will not appear is still a 400, loading or not: only "not yet" is a 503.
        using HttpResponseMessage unknown = await starting.Client.PostAsJsonAsync("/api/ai/embeddings", new { image = TestImages.DataUri(TestPaths.DevFiles()[0]), model = "no-such-model" }).DefaultTimeout();
        await ResponseAssert.ErrorAsync(unknown, HttpStatusCode.BadRequest, "Unknown model 'no-such-model'.");
    }

    [Fact]
    public async Task IntegerParametersGivenAsStrings_Are400NamingTheParameter()
    {
        const string Name = "integers";
        int d = await CreateCollectionAsync(Name);
        float[] vector = Enumerable.Repeat(1f, d).ToArray();
        (await Client.PostAsJsonAsync($"/v1/collections/{Name}/items", new { items = new[] { new { id = "a", vector } } }).DefaultTimeout()).EnsureSuccessStatusCode();

        (string Route, object Body, string Message)[] cases =
        [
            ("search", new { vector, k = "5" }, "'k' must be an integer within 1..1000."),
            ("recommend", new { positive = new[] { "a" }, k = "5" }, "'k' must be an integer within 1..1000."),
            ("clusters", new { k = "2" }, "'k' must be an integer within 1..1000."),
            ("map", new { k = "2" }, "'k' must be an integer within 1..1000."),
            ("duplicates", new { phash_distance = "3" }, "'phash_distance' must be an integer within 0..64 (differing bits of the 64-bit perceptual hash)."),
        ];
        foreach ((string route, object body, string message) in cases)
        {
            using HttpResponseMessage response = await Client.PostAsJsonAsync($"/v1/collections/{Name}/{route}", body).DefaultTimeout();
            Assert.Equal(message, await ResponseAssert.ErrorAsync(response, HttpStatusCode.BadRequest));
        }
    }

    [Fact]
    public async Task MalformedMultipart_Is400_OnBothMultipartRoutes()
    {
        const string Name = "multipart";
        await CreateCollectionAsync(Name);
        string tooManyParts = string.Concat(Enumerable.Range(0, 1100).Select(i => $"--b\r\nContent-Disposition: form-data; name=\"f{i}\"\r\n\r\nx\r\n")) + "--b--\r\n";
        (string ContentType, string Body)[] forms =
        [
            ("multipart/form-data", "--b\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.jpg\"\r\n\r\nabc\r\n--b--\r\n"), // no boundary
            ("multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.jpg\"\r\n\r\nabc"), // cut short
            ("multipart/form-data; boundary=b", tooManyParts),
        ];
        foreach (string route in new[] { "/api/ai/embeddings", $"/v1/collections/{Name}/items" })
            foreach ((string type, string body) in forms)
            {
                var content = new StringContent(body);
                content.Headers.Remove("Content-Type");
                content.Headers.TryAddWithoutValidation("Content-Type", type);
                using HttpResponseMessage response = await Client.PostAsync(route, content).DefaultTimeout();
                await ResponseAssert.ErrorAsync(response, HttpStatusCode.BadRequest, "Malformed multipart body: ");
            }
    }

    /// <summary>Creates a collection of the default model and returns its dimensions.</summary>
    private async Task<int> CreateCollectionAsync(string name)
    {
        (await Client.PutAsJsonAsync($"/v1/collections/{name}", new { model = "default" }).DefaultTimeout()).EnsureSuccessStatusCode();
        return (await (await Client.GetAsync($"/v1/collections/{name}").DefaultTimeout()).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("dimensions").GetInt32();
    }

    private static byte[] Swap(byte[] body, string from, string to)
    {
        byte[] a = Encoding.ASCII.GetBytes($"\"{from}\""), b = Encoding.ASCII.GetBytes($"\"{to}\"");
        int at = body.AsSpan().IndexOf(a);
        return [.. body.AsSpan(0, at), .. b, .. body.AsSpan(at + a.Length)];
    }
}
