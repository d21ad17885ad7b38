using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ImageEmbed.Tests;

namespace ImageEmbed.Service.Tests;

/// <summary><c>POST /api/ai/embeddings</c> as the CoreViz page documents it, against the real service.</summary>
public sealed class CoreVizEndpointTests(OpenServiceFixture fixture) : IClassFixture<OpenServiceFixture>
{
    private readonly ServiceServer _service = fixture.Service;
    private readonly TestImageServer _images = fixture.Images;
    private static string DevFile => Path.GetFileName(TestPaths.DevFiles()[0]);

    [Fact]
    public async Task SeedCurlExample_ImageUrl_Returns200WithEmbeddingDimensionsModel()
    {
        // curl -X POST .../api/ai/embeddings -H "Content-Type: application/json" -H "x-api-key: KEY" -d '{"image": "URL"}'
        using var content = new StringContent($$"""{"image": "{{_images.Dev(DevFile)}}"}""", Encoding.UTF8, "application/json");
        using HttpResponseMessage response = await _service.Client.PostAsync("/api/ai/embeddings", content).DefaultTimeout();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using JsonDocument doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        // The seed's three fields, in its order, plus the embedding-space fingerprint (also a header).
        Assert.Equal(["embedding", "dimensions", "model", "embedding_space"], doc.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(doc.RootElement.GetProperty("embedding_space").GetString(), response.Headers.GetValues("X-Embedding-Space").Single());
        Assert.Matches("^es1-[0-9a-f]{16}$", doc.RootElement.GetProperty("embedding_space").GetString());
        float[] embedding = ResponseAssert.Floats(doc.RootElement.GetProperty("embedding"));
        Assert.Equal(embedding.Length, doc.RootElement.GetProperty("dimensions").GetInt32());
        Assert.Equal("mobilenet-v2-140", doc.RootElement.GetProperty("model").GetString());
        Assert.Equal(1.0, Math.Sqrt(embedding.Sum(v => (double)v * v)), 5);
    }

    [Fact]
    public async Task SeedExamples_JavaScriptFetchAndPythonRequests_SameAnswer()
    {
        string body = JsonSerializer.Serialize(new { image = _images.Dev(DevFile) });
        float[] fromFetch = await PostAsync(body, ("User-Agent", "node-fetch"), ("Accept", "*/*"));
        float[] fromRequests = await PostAsync(body, ("User-Agent", "python-requests/2.32.3"), ("Accept", "*/*"), ("Accept-Encoding", "gzip, deflate"));
        Assert.Equal(fromFetch, fromRequests);

        async Task<float[]> PostAsync(string json, params (string Name, string Value)[] headers)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/ai/embeddings") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
            foreach ((string name, string value) in headers) request.Headers.TryAddWithoutValidation(name, value);
            using HttpResponseMessage response = await _service.Client.SendAsync(request).DefaultTimeout();
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return ResponseAssert.Floats((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("embedding"));
        }
    }

    [Fact]
    public async Task Embedding_SameBytesAsCliEmbed_EqualWithin1e6()
    {
        string file = TestPaths.DevFiles()[1];
        float[] viaUrl = await EmbedJsonAsync(_images.Dev(Path.GetFileName(file)));
        float[] viaDataUri = await EmbedJsonAsync(TestImages.DataUri(file));
        float[] viaCli = await CliEmbedAsync(file);

        Assert.Equal(viaCli.Length, viaUrl.Length);
        for (int i = 0; i < viaCli.Length; i++)
        {
            Assert.True(Math.Abs(viaCli[i] - viaUrl[i]) <= 1e-6, $"url dim {i}");
            Assert.True(Math.Abs(viaCli[i] - viaDataUri[i]) <= 1e-6, $"data uri dim {i}");
        }
    }

    [Fact]
    public async Task Upload_MultipartAndRawBody_EqualJsonDataUri()
    {
        byte[] bytes = File.ReadAllBytes(TestPaths.DevFiles()[2]);
        float[] json = await EmbedJsonAsync(TestImages.DataUri(bytes));

        using var form = new MultipartFormDataContent { { new ByteArrayContent(bytes), "image", "photo.jpg" }, { new StringContent("default"), "model" } };
        using HttpResponseMessage multipart = await _service.Client.PostAsync("/api/ai/embeddings", form).DefaultTimeout();
        Assert.Equal(HttpStatusCode.OK, multipart.StatusCode);
        Assert.Equal(json, ResponseAssert.Floats((await multipart.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("embedding")));

        using var raw = new ByteArrayContent(bytes);
        raw.Headers.ContentType = new MediaTypeHeaderValue("image/png"); // a wrong declared type: the bytes decide
        using HttpResponseMessage rawResponse = await _service.Client.PostAsync("/api/ai/embeddings?model=default", raw).DefaultTimeout();
        Assert.Equal(HttpStatusCode.OK, rawResponse.StatusCode);
        Assert.Equal(json, ResponseAssert.Floats((await rawResponse.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("embedding")));
    }

    [Fact]
    public async Task Auth_MissingWrongAndBearerKeys()
    {
        string body = JsonSerializer.Serialize(new { image = _images.Dev(DevFile) });
        using HttpResponseMessage missing = await _service.Anonymous.PostAsync("/api/ai/embeddings", new StringContent(body, Encoding.UTF8, "application/json")).DefaultTimeout();
        Assert.Equal("""{"error":"Unauthorized","message":"Invalid or missing API key"}""", await missing.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);

        using var wrong = new HttpRequestMessage(HttpMethod.Post, "/api/ai/embeddings") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        wrong.Headers.Add("x-api-key", ServiceServer.Key + "x");
        using HttpResponseMessage wrongResponse = await _service.Anonymous.SendAsync(wrong).DefaultTimeout();
        await ResponseAssert.ErrorAsync(wrongResponse, HttpStatusCode.Unauthorized, "Invalid or missing API key");

        using var bearer = new HttpRequestMessage(HttpMethod.Post, "/api/ai/embeddings") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        bearer.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ServiceServer.Key);
        using HttpResponseMessage bearerResponse = await _service.Anonymous.SendAsync(bearer).DefaultTimeout();
        Assert.Equal(HttpStatusCode.OK, bearerResponse.StatusCode);
    }

    public static TheoryData<string, string> BadRequests => new()
    {
        { """{"image": """, "Malformed JSON body" },
        { """["not", "an", "object"]""", "The JSON body must be an object." },
        { """{"model": "default"}""", "Missing required field 'image'" },
        { """{"image": 42}""", "Field 'image' must be a string." },
        { """{"image": "ftp://example.com/cat.jpg"}""", "must be an http(s) URL or a data:image/...;base64 URI" },
        { """{"image": "file:///etc/passwd"}""", "must be an http(s) URL or a data:image/...;base64 URI" },
        { """{"image": "data:text/html;base64,PGh0bWw+"}""", "image media type" },
        { """{"image": "data:image/png;base64,@@@"}""", "not valid base64" },
        { """{"image": "https://example.com/cat.jpg", "model": "no-such-model"}""", "Unknown model 'no-such-model'. Installed: mobilenet-v2-140." },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task BadRequest_Returns400WithDocumentedShape(string body, string message)
    {
        using HttpResponseMessage response = await _service.Client.PostAsync("/api/ai/embeddings", new StringContent(body, Encoding.UTF8, "application/json")).DefaultTimeout();
        await ResponseAssert.ErrorAsync(response, HttpStatusCode.BadRequest, message);
    }

    public static TheoryData<string, string> BadFiles => new()
    {
        { "empty.jpg", "The image is empty" },
        { "not_an_image.jpg", "not a supported image" },
        { "html_renamed.png", "not a supported image" },
        { "svg_with_external_ref.svg", "not a supported image" },
        { "truncated.jpg", "premature end of JPEG image" },
        { "bomb_16000x16000.png", "the limit is 100,000,000 pixels" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public async Task BadFile_OverUrlDataUriAndMultipart_Returns422(string file, string message)
    {
        byte[] bytes = File.ReadAllBytes(TestPaths.Format(file));
        string[] bodies =
        [
            JsonSerializer.Serialize(new { image = _images.Format(file) }),
            JsonSerializer.Serialize(new { image = TestImages.DataUri(bytes) }),
        ];
        foreach (string body in bodies)
        {
            using HttpResponseMessage response = await _service.Client.PostAsync("/api/ai/embeddings", new StringContent(body, Encoding.UTF8, "application/json")).DefaultTimeout();
            await ResponseAssert.ErrorAsync(response, HttpStatusCode.UnprocessableEntity, message);
        }
        using var form = new MultipartFormDataContent { { new ByteArrayContent(bytes), "image", file } };
        using HttpResponseMessage multipart = await _service.Client.PostAsync("/api/ai/embeddings", form).DefaultTimeout();
        await ResponseAssert.ErrorAsync(multipart, HttpStatusCode.UnprocessableEntity, message);
    }

    [Fact]
    public async Task Unsupported_ContentType_Returns415()
    {
        using HttpResponseMessage response = await _service.Client.PostAsync("/api/ai/embeddings", new StringContent("image=x", Encoding.UTF8, "text/plain")).DefaultTimeout();
        await ResponseAssert.ErrorAsync(response, HttpStatusCode.UnsupportedMediaType, "Unsupported Content-Type 'text/plain; charset=utf-8'");
    }

    [Fact]
    public async Task Multipart_WithoutImageField_Returns400()
    {
        using var form = new MultipartFormDataContent { { new StringContent("default"), "model" } };
        using HttpResponseMessage response = await _service.Client.PostAsync("/api/ai/embeddings", form).DefaultTimeout();
        await ResponseAssert.ErrorAsync(response, HttpStatusCode.BadRequest, "Missing file field 'image'");
    }

    private async Task<float[]> EmbedJsonAsync(string image)
    {
        using HttpResponseMessage response = await _service.Client.PostAsJsonAsync("/api/ai/embeddings", new { image }).DefaultTimeout();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return ResponseAssert.Floats((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("embedding"));
    }

    private static async Task<float[]> CliEmbedAsync(string file)
    {
        CliRunner.Result result = await CliRunner.RunAsync(["embed", "--quiet", file]);
        Assert.Equal(0, result.ExitCode);
        return ResponseAssert.Floats(JsonDocument.Parse(result.Stdout).RootElement.GetProperty("embedding"));
    }
}
