using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ImageEmbed.Service.Auth;
using ImageEmbed.Storage.Keys;
using ImageEmbed.Tests;
using Microsoft.AspNetCore.Routing;

namespace ImageEmbed.Service.Tests;

/// <summary>
/// API key scopes: <c>embed</c> &lt; <c>read</c> &lt; <c>write</c> &lt; <c>admin</c>, from <c>IMAGEEMBED_API_KEYS</c>
/// (<c>KEY:SCOPE</c>) and from the key file; a key outside its scope gets 403 naming the scope it needs.
/// </summary>
public sealed class KeyScopeTests : IAsyncLifetime
{
    private const string EmbedKey = "embed-only-key";
    private const string ReadKey = "read-only-key";
    private const string WriteKey = "write-key";
    private ServiceServer _service = null!;

    public async Task InitializeAsync()
    {
        _service = await ServiceServer.StartAsync(new Dictionary<string, string?>
        {
            ["Service:ApiKeys"] = $"{ServiceServer.Key},{EmbedKey}:embed,{ReadKey}:read,{WriteKey}:write",
        });
        using HttpResponseMessage created = await _service.Client.PutAsJsonAsync("/v1/collections/x", new { model = "mobilenet-v2-140" }).DefaultTimeout();
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
    }

    public async Task DisposeAsync() => await _service.DisposeAsync();

    [Fact]
    public async Task EmbedKey_EmbedsButCannotDeleteOrRead()
    {
        using HttpClient client = Client(EmbedKey);
        string image = TestImages.DataUri(TestPaths.DevFiles()[0]);

        using HttpResponseMessage embedded = await client.PostAsJsonAsync("/api/ai/embeddings", new { image }).DefaultTimeout();
        Assert.Equal(HttpStatusCode.OK, embedded.StatusCode);
        using HttpResponseMessage openAi = await client.PostAsJsonAsync("/v1/embeddings", new { input = image }).DefaultTimeout();
        Assert.Equal(HttpStatusCode.OK, openAi.StatusCode);

        using HttpResponseMessage delete = await client.DeleteAsync("/v1/collections/x").DefaultTimeout();
        await AssertForbiddenAsync(delete, held: "embed", needed: "write", "DELETE /v1/collections/{name}");
        using HttpResponseMessage list = await client.GetAsync("/v1/collections").DefaultTimeout();
        await AssertForbiddenAsync(list, held: "embed", needed: "read", "GET /v1/collections");
        using HttpResponseMessage still = await _service.Client.GetAsync("/v1/collections/x").DefaultTimeout();
        Assert.Equal(HttpStatusCode.OK, still.StatusCode);
    }

    [Fact]
    public async Task ReadKey_SearchesButCannotWriteOrStartJobs()
    {
        using HttpClient client = Client(ReadKey);
        using HttpResponseMessage upsert = await _service.Client.PostAsJsonAsync("/v1/collections/x/items", new { items = new[] { new { id = "a", image = TestImages.DataUri(TestPaths.DevFiles()[0]) } } }).DefaultTimeout();
        Assert.Equal(HttpStatusCode.OK, upsert.StatusCode);

        using HttpResponseMessage search = await client.PostAsJsonAsync("/v1/collections/x/search", new { id = "a", k = 1 }).DefaultTimeout();
        Assert.Equal(HttpStatusCode.OK, search.StatusCode);
        using HttpResponseMessage thumbnail = await client.GetAsync("/v1/collections/x/items/a/thumbnail").DefaultTimeout();
        Assert.Equal(HttpStatusCode.OK, thumbnail.StatusCode);

        using HttpResponseMessage write = await client.PostAsJsonAsync("/v1/collections/x/items", new { items = new[] { new { id = "b", vector = new[] { 1f } } } }).DefaultTimeout();
        await AssertForbiddenAsync(write, held: "read", needed: "write", "POST /v1/collections/{name}/items");
        using HttpResponseMessage job = await client.PostAsJsonAsync("/v1/jobs", new { urls = new[] { "http://127.0.0.1:1/a.jpg" } }).DefaultTimeout();
        await AssertForbiddenAsync(job, held: "read", needed: "write", "POST /v1/jobs");
    }

    [Fact]
    public async Task WriteKey_CreatesAndDeletes()
    {
        using HttpClient client = Client(WriteKey);
        using HttpResponseMessage create = await client.PutAsJsonAsync("/v1/collections/y", new { model = "mobilenet-v2-140" }).DefaultTimeout();
        Assert.Equal(HttpStatusCode.OK, create.StatusCode);
        using HttpResponseMessage delete = await client.DeleteAsync("/v1/collections/y").DefaultTimeout();
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
    }

    [Theory]
    [InlineData(EmbedKey, "embed", new[] { "embed" })]
    [InlineData(ReadKey, "read", new[] { "embed", "read" })]
    [InlineData(ServiceServer.Key, "admin", new[] { "embed", "read", "write", "admin" })]
    public async Task KeyRoute_SaysWhatTheKeyMayDo(string key, string scope, string[] allows)
    {
        using HttpClient client = Client(key);
        JsonElement info = await client.GetFromJsonAsync<JsonElement>("/v1/key").DefaultTimeout();
        Assert.Equal(scope, info.GetProperty("scope").GetString());
        Assert.Equal(allows, info.GetProperty("allows").EnumerateArray().Select(a => a.GetString()));

        using HttpResponseMessage wrong = await Client("not-a-key").GetAsync("/v1/key").DefaultTimeout();
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
    }

    [Fact]
    public async Task KeyFile_KeyCreatedWithAScope_HoldsOnlyThatScope()
    {
        (string key, _) = ApiKeyFile.Create(_service.DataDirectory, "reader", KeyScope.Read);
        using HttpClient client = Client(key);
        HttpStatusCode status = default;
        for (int i = 0; i < 50 && status != HttpStatusCode.OK; i++)
        {
            if (i > 0) await Task.Delay(100); // the file is re-read at most once a second
            using HttpResponseMessage r = await client.GetAsync("/v1/collections").DefaultTimeout();
            status = r.StatusCode;
        }
        Assert.Equal(HttpStatusCode.OK, status);
        using HttpResponseMessage delete = await client.DeleteAsync("/v1/collections/x").DefaultTimeout();
        await AssertForbiddenAsync(delete, held: "read", needed: "write", "DELETE /v1/collections/{name}");
    }

    [Fact]
    public async Task EmbedKey_UnknownRoute_Is404NotForbidden()
    {
        using HttpResponseMessage r = await Client(EmbedKey).GetAsync("/v1/nothing-here").DefaultTimeout();
        Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
    }

    [Fact]
    public void EveryApiRoute_DeclaresTheScopeItNeeds()
    {
        RouteEndpoint[] api = _service.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText is { } p && (p.StartsWith("/v1", StringComparison.Ordinal) || p.StartsWith("/api", StringComparison.Ordinal)))
            .ToArray();
        Assert.True(api.Length >= 25, $"only {api.Length} API routes found");
        string[] undeclared = api.Where(e => e.Metadata.GetMetadata<RequiredScope>() is null).Select(e => e.DisplayName ?? e.RoutePattern.RawText!).ToArray();
        Assert.Empty(undeclared);
    }

    [Fact]
    public void Start_UnknownScopeInApiKeys_RefusedWithoutQuotingTheKey()
    {
        var e = Assert.Throws<ArgumentException>(() => ServiceHost.Build(["--Service:ApiKeys=secret-one,secret-two:reed", "--DataDirectory=" + _service.DataDirectory]));
        Assert.Contains("IMAGEEMBED_API_KEYS", e.Message, StringComparison.Ordinal);
        Assert.Contains("entry 2", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", e.Message, StringComparison.Ordinal);
    }

    private HttpClient Client(string key)
    {
        var client = new HttpClient { BaseAddress = _service.Address, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Add("x-api-key", key);
        return client;
    }

    private static async Task AssertForbiddenAsync(HttpResponseMessage response, string held, string needed, string route)
    {
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        string body = await response.Content.ReadAsStringAsync();
        using JsonDocument doc = JsonDocument.Parse(body);
        JsonElement error = doc.RootElement.TryGetProperty("message", out JsonElement m) ? doc.RootElement : doc.RootElement.GetProperty("error");
        string message = (m.ValueKind == JsonValueKind.String ? m : error.GetProperty("message")).GetString()!;
        Assert.Equal($"This API key has the '{held}' scope; {route} needs the '{needed}' scope. "
            + $"Use a key made with 'imageembed keys create --scope {needed}' (or listed in IMAGEEMBED_API_KEYS as KEY:{needed}).", message);
    }
}
