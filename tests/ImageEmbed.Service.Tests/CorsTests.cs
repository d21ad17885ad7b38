using System.Net;
using System.Text;
using ImageEmbed.Tests;

namespace ImageEmbed.Service.Tests;

/// <summary>
/// <c>IMAGEEMBED_CORS_ORIGINS</c> at the HTTP level: preflights answered without a key for listed origins only,
/// and answers (errors included) readable by a listed origin's page. WebUi tests do the same from Chromium.
/// </summary>
public sealed class CorsTests : IAsyncLifetime
{
    private const string Listed = "http://app.example:8080";
    private ServiceServer _service = null!;

    public async Task InitializeAsync() =>
        _service = await ServiceServer.StartAsync(new Dictionary<string, string?> { ["Service:CorsOrigins"] = $"{Listed}, https://other.example" });

    public async Task DisposeAsync() => await _service.DisposeAsync();

    [Fact]
    public async Task Preflight_ListedOrigin_AllowedWithoutAKey()
    {
        using HttpResponseMessage r = await PreflightAsync(_service, Listed);

        Assert.Equal(HttpStatusCode.NoContent, r.StatusCode);
        Assert.Equal(Listed, Header(r, "Access-Control-Allow-Origin"));
        Assert.Equal(["authorization", "content-type", "x-api-key"], Header(r, "Access-Control-Allow-Headers")!.ToLowerInvariant().Split(',').Select(h => h.Trim()).Order());
        Assert.Contains("POST", Header(r, "Access-Control-Allow-Methods")!, StringComparison.Ordinal);
        Assert.Null(Header(r, "Access-Control-Allow-Credentials"));
    }

    [Theory]
    [InlineData("http://evil.example")]
    [InlineData("http://app.example")] // the listed host on another port is another origin
    [InlineData("null")]
    public async Task Preflight_OtherOrigin_GetsNoAllowHeaders(string origin)
    {
        using HttpResponseMessage r = await PreflightAsync(_service, origin);
        Assert.Null(Header(r, "Access-Control-Allow-Origin"));
        Assert.Null(Header(r, "Access-Control-Allow-Headers"));
    }

    [Fact]
    public async Task Request_ListedOrigin_ReadsTheAnswerAndItsHeaders()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/embeddings")
        {
            Content = new StringContent($$"""{"input": "{{TestImages.DataUri(TestPaths.DevFiles()[0])}}"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Origin", Listed);
        using HttpResponseMessage r = await _service.Client.SendAsync(request).DefaultTimeout();

        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal(Listed, Header(r, "Access-Control-Allow-Origin"));
        string[] exposed = Header(r, "Access-Control-Expose-Headers")!.Split(',').Select(h => h.Trim()).ToArray();
        Assert.Subset(exposed.ToHashSet(StringComparer.OrdinalIgnoreCase), new HashSet<string>(["X-Embedding-Space", "Server-Timing", "Retry-After"]));
    }

    [Fact]
    public async Task Request_ListedOriginWithoutKey_Gets401ItCanRead()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        request.Headers.Add("Origin", Listed);
        using HttpResponseMessage r = await _service.Anonymous.SendAsync(request).DefaultTimeout();
        Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        Assert.Equal(Listed, Header(r, "Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task Preflight_NoOriginsConfigured_GetsNoAllowHeaders()
    {
        await using ServiceServer closed = await ServiceServer.StartAsync();
        using HttpResponseMessage r = await PreflightAsync(closed, Listed);
        Assert.Null(Header(r, "Access-Control-Allow-Origin"));
    }

    [Fact]
    public void Start_OriginWithAPath_RefusedNamingTheSetting()
    {
        var e = Assert.Throws<ArgumentException>(() => ServiceHost.Build(["--Service:CorsOrigins=https://app.example/page", "--DataDirectory=" + _service.DataDirectory]));
        Assert.Contains("IMAGEEMBED_CORS_ORIGINS", e.Message, StringComparison.Ordinal);
        Assert.Contains("'https://app.example/page'", e.Message, StringComparison.Ordinal);
    }

    private static async Task<HttpResponseMessage> PreflightAsync(ServiceServer service, string origin)
    {
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/v1/embeddings");
        preflight.Headers.Add("Origin", origin);
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "content-type,x-api-key");
        return await service.Anonymous.SendAsync(preflight).DefaultTimeout();
    }

    private static string? Header(HttpResponseMessage r, string name) =>
        r.Headers.TryGetValues(name, out IEnumerable<string>? values) ? string.Join(",", values) : null;
}
