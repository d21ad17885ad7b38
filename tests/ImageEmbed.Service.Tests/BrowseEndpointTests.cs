using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ImageEmbed.Tests;

namespace ImageEmbed.Service.Tests;

/// <summary>What the web UI stands on: its files served without a key, the item pages, the map and Server-Timing.</summary>
public sealed class BrowseEndpointTests(OpenServiceFixture fixture) : IClassFixture<OpenServiceFixture>
{
    private readonly ServiceServer _service = fixture.Service;

    [Theory]
    [InlineData("/", "text/html")]
    [InlineData("/ui/app.js", "text/javascript")]
    [InlineData("/ui/app.css", "text/css")]
    public async Task WebUi_WithoutAKey_IsServedWithAStrictPolicy(string path, string type)
    {
        using HttpResponseMessage response = await _service.Anonymous.GetAsync(path).DefaultTimeout();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(type, response.Content.Headers.ContentType!.MediaType);
        string policy = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'self'", policy, StringComparison.Ordinal);
        Assert.Contains("connect-src 'self'", policy, StringComparison.Ordinal);

        // Unchanged files cost a 304.
        using var again = new HttpRequestMessage(HttpMethod.Get, path);
        again.Headers.IfNoneMatch.Add(response.Headers.ETag!);
        using HttpResponseMessage cached = await _service.Anonymous.SendAsync(again).DefaultTimeout();
        Assert.Equal(HttpStatusCode.NotModified, cached.StatusCode);
    }

    [Fact]
    public async Task WebUi_EveryModuleTheIndexLoads_IsServed()
    {
        // The modules import each other; each import must resolve to a served file (a missing one breaks the page).
        var pending = new Queue<string>(["app.js"]);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (pending.TryDequeue(out string? file))
        {
            if (!seen.Add(file)) continue;
            string source = await _service.Anonymous.GetStringAsync("/ui/" + file).DefaultTimeout();
            foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(source, @"from '\./([\w.-]+)'"))
                pending.Enqueue(m.Groups[1].Value);
        }
        Assert.Superset(new HashSet<string> { "app.js", "api.js", "ui.js", "state.js", "try.js", "collections.js", "search.js", "thumbs.js", "duplicates.js", "clusters.js" }, seen);
        using HttpResponseMessage missing = await _service.Anonymous.GetAsync("/ui/nothing.js").DefaultTimeout();
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task CoreVizEmbedding_CarriesServerTimingPerStage()
    {
        using HttpResponseMessage response = await _service.Client.PostAsJsonAsync("/api/ai/embeddings", new { image = TestImages.DataUri(TestPaths.DevFiles()[0]) }).DefaultTimeout();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        string timing = string.Join(",", response.Headers.GetValues("Server-Timing"));
        Assert.Matches(@"^decode;dur=[\d.]+, preprocess;dur=[\d.]+, queue;dur=[\d.]+, inference;dur=[\d.]+;desc=""batch of \d+""$", timing);
    }

    [Fact]
    public async Task ItemsAndMap_OfACollection_ListEveryItemInIdOrderAndPlaceThem()
    {
        const string name = "browse";
        await CreateAsync(name);
        string[] ids = ["c", "a", "d", "b", "e"];
        var rng = new Random(7);
        var items = ids.Select(id => new { id, vector = Enumerable.Range(0, 1792).Select(_ => rng.NextSingle() + 0.1f).ToArray(), metadata = new { tag = id } }).ToArray();
        Assert.Equal(HttpStatusCode.OK, (await _service.Client.PostAsJsonAsync($"/v1/collections/{name}/items", new { items }).DefaultTimeout()).StatusCode);

        JsonElement page = await _service.Client.GetFromJsonAsync<JsonElement>($"/v1/collections/{name}/items?offset=1&limit=2").DefaultTimeout();
        Assert.Equal(5, page.GetProperty("total").GetInt32());
        Assert.Equal(["b", "c"], page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()));
        Assert.Equal("b", page.GetProperty("items")[0].GetProperty("metadata").GetProperty("tag").GetString());
        Assert.False(page.GetProperty("items")[0].TryGetProperty("vector", out _));

        using HttpResponseMessage mapResponse = await _service.Client.PostAsJsonAsync($"/v1/collections/{name}/map", new { k = 2 }).DefaultTimeout();
        Assert.Equal(HttpStatusCode.OK, mapResponse.StatusCode);
        JsonElement map = await mapResponse.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("pca", map.GetProperty("method").GetString());
        JsonElement[] points = map.GetProperty("points").EnumerateArray().ToArray();
        Assert.Equal(["a", "b", "c", "d", "e"], points.Select(p => p.GetProperty("id").GetString()));
        Assert.All(points, p => Assert.InRange(p.GetProperty("x").GetSingle(), -1f, 1f));
        Assert.Equal(2, map.GetProperty("clusters").GetArrayLength());
        Assert.All(points, p => Assert.Contains(p.GetProperty("id").GetString(), map.GetProperty("clusters")[p.GetProperty("cluster").GetInt32()].GetProperty("items").EnumerateArray().Select(e => e.GetString())));

        // Without a body: the default number of clusters. The same collection draws the same map.
        JsonElement again = await (await _service.Client.PostAsync($"/v1/collections/{name}/map", null).DefaultTimeout()).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(points.Select(p => p.GetProperty("x").GetSingle()), again.GetProperty("points").EnumerateArray().Select(p => p.GetProperty("x").GetSingle()));
    }

    [Theory]
    [InlineData("GET", "/v1/collections/browse-bad/items?limit=0", null, HttpStatusCode.BadRequest, "'limit' must be an integer within 1..1000.")]
    [InlineData("GET", "/v1/collections/browse-bad/items?offset=-1", null, HttpStatusCode.BadRequest, "'offset' must be an integer")]
    [InlineData("POST", "/v1/collections/browse-bad/map", "{\"k\": 0}", HttpStatusCode.BadRequest, "'k' must be an integer within 1..1000.")]
    [InlineData("POST", "/v1/collections/no-such/map", "{}", HttpStatusCode.NotFound, "no-such")]
    [InlineData("GET", "/v1/collections/no-such/items", null, HttpStatusCode.NotFound, "no-such")]
    public async Task ItemsAndMap_BadRequests_AreClientErrors(string method, string path, string? body, HttpStatusCode status, string message)
    {
        await CreateAsync("browse-bad");
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null) request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        using HttpResponseMessage response = await _service.Client.SendAsync(request).DefaultTimeout();
        await ResponseAssert.ErrorAsync(response, status, message);
    }

    [Fact]
    public async Task ItemsAndMap_WithoutAKey_Are401()
    {
        using HttpResponseMessage response = await _service.Anonymous.PostAsync("/v1/collections/browse/map", null).DefaultTimeout();
        await ResponseAssert.ErrorAsync(response, HttpStatusCode.Unauthorized);
    }

    private async Task CreateAsync(string name)
    {
        using HttpResponseMessage response = await _service.Client.PutAsJsonAsync($"/v1/collections/{name}", new { model = "default" }).DefaultTimeout();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
