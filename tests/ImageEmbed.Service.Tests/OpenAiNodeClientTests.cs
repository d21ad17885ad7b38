using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ImageEmbed.Tests;

namespace ImageEmbed.Service.Tests;

/// <summary>
/// Seed 000 written for Node: the official openai npm client sends <c>input: fs.readFileSync(file)</c> as a
/// JSON-serialized Buffer (<c>{"type":"Buffer","data":[...]}</c>) and asks for base64 floats. The package is installed
/// from npm on first use (<see cref="NpmPackages"/>), the script runs under Node against the service on loopback.
/// </summary>
public sealed class OpenAiNodeClientTests(OpenServiceFixture fixture) : IClassFixture<OpenServiceFixture>
{
    private const string OpenAiPackage = "openai@7.60.0";

    [Fact]
    public async Task SeedExample_NodeBufferInput_GetsTheImagesUnitVector()
    {
        string dir = await NpmPackages.InstallAsync("openai-node", [OpenAiPackage], "The Node client test");
        string script = Path.Combine(dir, "seed-000.mjs"); // beside node_modules, so 'openai' resolves
        File.Copy(Path.Combine(TestPaths.RepoRoot, "tests", "ImageEmbed.Service.Tests", "Node", "seed-000.mjs"), script, overwrite: true);
        string image = TestPaths.DevFiles()[3];

        string stdout = await NpmPackages.RunNodeAsync(script, [image], "The Node client test",
            new Dictionary<string, string> { ["OPENAI_API_KEY"] = ServiceServer.Key, ["OPENAI_BASE_URL"] = new Uri(fixture.Service.Address, "/v1").ToString() });

        using JsonDocument result = JsonDocument.Parse(stdout);
        float[] fromNode = result.RootElement.GetProperty("embedding").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        Assert.Equal("mobilenet-v2-140", result.RootElement.GetProperty("model").GetString());
        Assert.Equal(1.0, Math.Sqrt(fromNode.Sum(v => (double)v * v)), 5);
        // The same image as the Python client sends it (a byte array): the same vector.
        byte[] bytes = await File.ReadAllBytesAsync(image);
        using HttpResponseMessage direct = await fixture.Service.Client.PostAsJsonAsync("/v1/embeddings", new { input = bytes.Select(b => (int)b) }).DefaultTimeout();
        Assert.Equal(ResponseAssert.Floats((await direct.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("data")[0].GetProperty("embedding")), fromNode);
    }

    [Fact]
    public async Task ObjectInput_NeitherImageNorText_SaysWhatIsAccepted()
    {
        using HttpResponseMessage r = await fixture.Service.Client.PostAsJsonAsync("/v1/embeddings", new { input = new { url = "https://example.com/a.jpg" } }).DefaultTimeout();
        JsonElement error = await ResponseAssert.OpenAiErrorAsync(r, HttpStatusCode.BadRequest, "input");
        Assert.Equal("input must have exactly one of 'image' or 'text'. Accepted: a string (text, or an image as a data URI), {\"image\": URL or data URI}, "
            + "{\"text\": ...}, an image file's bytes as an array of 0..255, or a Node.js Buffer ({\"type\": \"Buffer\", \"data\": [...]}).", error.GetProperty("message").GetString());
    }
}
