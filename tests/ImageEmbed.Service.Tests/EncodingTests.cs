using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ImageEmbed.Models.Catalog;
using ImageEmbed.Models.Embeddings;
using ImageEmbed.Tests;

namespace ImageEmbed.Service.Tests;

/// <summary>
/// Quantized output types, decoded by the test and compared with the quantization of the float output,
/// with truncation applied first. A copy of the fixture model marked Matryoshka stands in for a model
/// trained for truncation (none can be fetched here).
/// </summary>
public sealed class EncodingTests : IAsyncLifetime
{
    private readonly string _models = Directory.CreateTempSubdirectory("imageembed-mrl-").FullName;
    private ServiceServer _service = null!;
    private readonly string _image = TestImages.DataUri(TestPaths.DevFiles()[4]);

    public async Task InitializeAsync()
    {
        File.CreateSymbolicLink(Path.Combine(_models, "mobilenet-v2-140"), Path.Combine(TestPaths.ModelsDir, "mobilenet-v2-140"));
        string mrl = Directory.CreateDirectory(Path.Combine(_models, "mobilenet-mrl")).FullName;
        File.CreateSymbolicLink(Path.Combine(mrl, "model.onnx"), TestPaths.MobileNetOnnx);
        ModelFolders.WriteManifest(mrl, ModelCatalog.MobileNetV2_140 with { Name = "mobilenet-mrl", Matryoshka = true });
        _service = await ServiceServer.StartAsync(new Dictionary<string, string?> { ["Models:Directory"] = _models, ["Models:DefaultModel"] = "mobilenet-v2-140" });
    }

    public async Task DisposeAsync()
    {
        await _service.DisposeAsync();
        Directory.Delete(_models, recursive: true);
    }

    [Theory]
    [InlineData("int8")]
    [InlineData("uint8")]
    [InlineData("binary")]
    [InlineData("ubinary")]
    public async Task OpenAi_QuantizedOutput_EqualsQuantizationOfTheFloatOutput(string encoding)
    {
        float[] reference = await FloatAsync(null);
        int[] actual = await IntsAsync(new { input = _image, encoding_format = encoding });
        Assert.Equal(Expected(encoding, reference), actual);
    }

    [Fact]
    public async Task OpenAi_DimensionsThenInt8_TruncatesRenormalizesThenQuantizes()
    {
        float[] full = await FloatAsync(null, model: "mobilenet-mrl");
        float[] truncated = await FloatAsync(256, model: "mobilenet-mrl");
        Assert.Equal(VectorMath.Truncate(full, 256), truncated);
        Assert.Equal(1.0, Math.Sqrt(truncated.Sum(x => (double)x * x)), 5);

        int[] int8 = await IntsAsync(new { input = _image, model = "mobilenet-mrl", dimensions = 256, embedding_type = "int8" });
        Assert.Equal(Expected("int8", truncated), int8);
    }

    [Fact]
    public async Task OpenAi_DimensionsOutOfRange_Returns400()
    {
        using HttpResponseMessage response = await _service.Client.PostAsJsonAsync("/v1/embeddings", new { input = _image, model = "mobilenet-mrl", dimensions = 5000 }).DefaultTimeout();
        await ResponseAssert.OpenAiErrorAsync(response, HttpStatusCode.BadRequest, "dimensions");
    }

    [Fact]
    public async Task CoreViz_EncodingFormatInt8_SameQuantization()
    {
        using HttpResponseMessage floatResponse = await _service.Client.PostAsJsonAsync("/api/ai/embeddings", new { image = _image }).DefaultTimeout();
        float[] reference = ResponseAssert.Floats((await floatResponse.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("embedding"));
        using HttpResponseMessage response = await _service.Client.PostAsJsonAsync("/api/ai/embeddings", new { image = _image, encoding_format = "int8" }).DefaultTimeout();
        JsonElement body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(Expected("int8", reference), body.GetProperty("embedding").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(1792, body.GetProperty("dimensions").GetInt32());
    }

    private static int[] Expected(string encoding, float[] v) => encoding switch
    {
        "int8" => EmbeddingEncodings.ToInt8(v).Select(x => (int)x).ToArray(),
        "uint8" => EmbeddingEncodings.ToUInt8(v).Select(x => (int)x).ToArray(),
        "binary" => EmbeddingEncodings.ToBinary(v).Select(x => (int)x).ToArray(),
        _ => EmbeddingEncodings.ToUBinary(v).Select(x => (int)x).ToArray(),
    };

    private async Task<float[]> FloatAsync(int? dimensions, string model = "mobilenet-v2-140")
    {
        using HttpResponseMessage response = await _service.Client.PostAsJsonAsync("/v1/embeddings", new { input = _image, model, dimensions }).DefaultTimeout();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return ResponseAssert.Floats((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("data")[0].GetProperty("embedding"));
    }

    private async Task<int[]> IntsAsync(object body)
    {
        using HttpResponseMessage response = await _service.Client.PostAsJsonAsync("/v1/embeddings", body).DefaultTimeout();
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("data")[0].GetProperty("embedding").EnumerateArray().Select(e => e.GetInt32()).ToArray();
    }
}
