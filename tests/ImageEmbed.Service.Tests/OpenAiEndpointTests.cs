using System.Net;
using System.Net.Http.Json;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using ImageEmbed.Tests;

namespace ImageEmbed.Service.Tests;

public sealed class OpenAiEndpointTests(OpenServiceFixture fixture) : IClassFixture<OpenServiceFixture>
{
    private readonly ServiceServer _service = fixture.Service;
    private readonly TestImageServer _images = fixture.Images;

    [Fact]
    public async Task SeedPythonClient_ImageBytesAsIntArrayBase64_DecodesToTheFloatVector()
    {
        // What `client.embeddings.create(model="image-embedding-3-small", input=image_file.read())` sends:
        // bytes are an iterable of ints, and the client asks for base64 by default.
        byte[] bytes = File.ReadAllBytes(TestPaths.DevFiles()[0]);
        string body = JsonSerializer.Serialize(new { input = bytes.Select(b => (int)b), model = "image-embedding-3-small", encoding_format = "base64" });

        using HttpResponseMessage response = await PostAsync(body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonElement root = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("list", root.GetProperty("object").GetString());
        Assert.Equal("mobilenet-v2-140", root.GetProperty("model").GetString());
        JsonElement item = Assert.Single(root.GetProperty("data").EnumerateArray());
        Assert.Equal("embedding", item.GetProperty("object").GetString());
        Assert.Equal(0, item.GetProperty("index").GetInt32());
        float[] decoded = MemoryMarshal.Cast<byte, float>(Convert.FromBase64String(item.GetProperty("embedding").GetString()!)).ToArray();
        Assert.Equal(1792, decoded.Length);
        Assert.Equal(await FloatAsync(TestImages.DataUri(bytes)), decoded);
        Assert.Equal(0, root.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
    }

    [Fact]
    public async Task Batch_MixedForms_ReturnsOneEmbeddingPerInputInOrder()
    {
        string[] files = TestPaths.DevFiles().Take(3).Select(Path.GetFileName).ToArray()!;
        string dataUri = TestImages.DataUri(TestPaths.Dev(files[0]));
        string body = JsonSerializer.Serialize(new { input = new object[] { dataUri, new { image = _images.Dev(files[1]) }, new { image = _images.Dev(files[2]) } } });

        using HttpResponseMessage response = await PostAsync(body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonElement[] data = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("data").EnumerateArray().ToArray();
        Assert.Equal([0, 1, 2], data.Select(d => d.GetProperty("index").GetInt32()));
        Assert.Equal(await FloatAsync(_images.Dev(files[1]), modality: "image"), ResponseAssert.Floats(data[1].GetProperty("embedding")));
    }

    [Fact]
    public async Task TextInput_ImageOnlyModel_Returns400SayingSo()
    {
        using HttpResponseMessage response = await PostAsync("""{"input": "a photo of a cat", "model": "default"}""");
        JsonElement error = await ResponseAssert.OpenAiErrorAsync(response, HttpStatusCode.BadRequest, "input");
        Assert.Contains("Model 'mobilenet-v2-140' supports image only, so it cannot embed text", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Modality_Image_TreatsStringsAsUrls()
    {
        float[] vector = await FloatAsync(_images.Dev(Path.GetFileName(TestPaths.DevFiles()[0])), modality: "image");
        Assert.Equal(1792, vector.Length);
    }

    public static TheoryData<string, string, string> BadRequests => new()
    {
        { """{"model": "default"}""", "input", "Missing required field 'input'" },
        { """{"input": []}""", "input", "must not be empty" },
        { """{"input": [1, 2, 3]}""", "input", "token-id arrays are not supported" },
        { """{"input": [{"image": "x", "text": "y"}]}""", "input", "exactly one of 'image' or 'text'" },
        { """{"input": "data:image/png;base64,AAAA", "encoding_format": "int4"}""", "encoding_format", "'encoding_format' must be" },
        { """{"input": "data:image/png;base64,AAAA", "dimensions": 64}""", "dimensions", "does not support 'dimensions'" },
        { """{"input": "data:image/png;base64,AAAA", "modality": "audio"}""", "modality", "'modality' must be" },
        { """{"input": "data:image/png;base64,AAAA", "model": "clip-vit-b32"}""", "model", "Unknown model 'clip-vit-b32'" },
        { """{"input": ["ftp://x/y.jpg"], "modality": "image"}""", "image", "http(s) URL" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task BadRequest_Returns400InOpenAiEnvelope(string body, string param, string message)
    {
        using HttpResponseMessage response = await PostAsync(body);
        JsonElement error = await ResponseAssert.OpenAiErrorAsync(response, HttpStatusCode.BadRequest, param);
        Assert.Contains(message, error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadImageInBatch_Returns422NamingTheIndex()
    {
        string good = TestImages.DataUri(TestPaths.DevFiles()[0]);
        string bad = TestImages.DataUri(TestPaths.Format("truncated.jpg"));
        using HttpResponseMessage response = await PostAsync(JsonSerializer.Serialize(new { input = new[] { good, bad } }));
        JsonElement error = await ResponseAssert.OpenAiErrorAsync(response, HttpStatusCode.UnprocessableEntity);
        Assert.StartsWith("input[1]: Unable to process the provided image", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dimensions_EqualToModel_IsAccepted()
    {
        string dataUri = TestImages.DataUri(TestPaths.DevFiles()[0]);
        using HttpResponseMessage response = await PostAsync(JsonSerializer.Serialize(new { input = dataUri, dimensions = 1792 }));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Auth_MissingKey_Returns401InOpenAiEnvelope()
    {
        using HttpResponseMessage response = await _service.Anonymous.PostAsync("/v1/embeddings", new StringContent("""{"input":"x"}""", Encoding.UTF8, "application/json"));
        JsonElement error = await ResponseAssert.OpenAiErrorAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal("invalid_api_key", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Models_ListsInstalledWithDimensionsAndModalities()
    {
        JsonElement root = await _service.Client.GetFromJsonAsync<JsonElement>("/v1/models").DefaultTimeout();
        JsonElement model = Assert.Single(root.GetProperty("data").EnumerateArray());
        Assert.Equal("mobilenet-v2-140", model.GetProperty("id").GetString());
        Assert.Equal(1792, model.GetProperty("dimensions").GetInt32());
        Assert.Equal(["image"], model.GetProperty("modalities").EnumerateArray().Select(e => e.GetString()));
        Assert.True(model.GetProperty("default").GetBoolean());
    }

    private Task<HttpResponseMessage> PostAsync(string json) =>
        _service.Client.PostAsync("/v1/embeddings", new StringContent(json, Encoding.UTF8, "application/json")).DefaultTimeout();

    private async Task<float[]> FloatAsync(string input, string? modality = null)
    {
        using HttpResponseMessage response = await PostAsync(JsonSerializer.Serialize(new { input, modality }));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return ResponseAssert.Floats((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("data")[0].GetProperty("embedding"));
    }
}
