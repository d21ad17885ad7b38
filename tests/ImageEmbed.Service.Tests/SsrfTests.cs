using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using ImageEmbed.Tests;

namespace ImageEmbed.Service.Tests;

/// <summary>
/// With private URLs not allowed (the default), image URLs that lead into the server's own network are
/// refused before any connection. A listener on loopback counts connections to prove none is made. Every
/// target here is on this machine, so even a regression could connect nowhere else; targets elsewhere are
/// in <see cref="SsrfSandboxTests"/>.
/// </summary>
public sealed class SsrfTests : IAsyncLifetime
{
    // The only names the service can resolve here (FakeHostResolver; localhost aside): each to loopback.
    private static readonly Dictionary<string, IPAddress[]> Names = new()
    {
        ["images.example.com"] = [IPAddress.Loopback],           // public-looking, resolves to loopback
        ["cdn.internal.test"] = [IPAddress.Loopback],            // allowed by name (Imaging:AllowedPrivateHosts)
    };

    private ServiceServer _service = null!;
    private TestImageServer _images = null!;
    private TcpListener _trap = null!;
    private int _trapConnections;

    public async Task InitializeAsync()
    {
        _trap = new TcpListener(IPAddress.Loopback, 0);
        _trap.Start();
        _ = AcceptLoopAsync();
        _images = await TestImageServer.StartAsync();
        var resolver = new FakeHostResolver(Names);
        _service = await ServiceServer.StartAsync(new Dictionary<string, string?>
        {
            ["Imaging:AllowedPrivateHosts"] = "cdn.internal.test",
            ["Imaging:FetchTimeoutMs"] = "1500",
            ["Imaging:MaxBytes"] = "1000000",
        }, resolver);
    }

    public async Task DisposeAsync()
    {
        await _service.DisposeAsync();
        await _images.DisposeAsync();
        _trap.Stop();
    }

    private int TrapPort => ((IPEndPoint)_trap.LocalEndpoint).Port;
    private string AllowedImages(string pathAndQuery) => $"http://cdn.internal.test:{_images.Address.Port}{pathAndQuery}";

    public static TheoryData<string> PrivateTargets => new()
    {
        "http://127.0.0.1:{trap}/cat.jpg",
        "http://localhost:{trap}/cat.jpg",
        "http://[::1]:{trap}/cat.jpg",
        "http://images.example.com:{trap}/cat.jpg",
        "http://[::ffff:127.0.0.1]:{trap}/cat.jpg",
        "http://0.0.0.0:{trap}/cat.jpg",
    };

    [Theory]
    [MemberData(nameof(PrivateTargets))]
    public async Task PrivateAddress_IsRefusedWithoutConnecting(string template)
    {
        string url = template.Replace("{trap}", TrapPort.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        // Were the refusal ever to regress, the connection must still land on this machine (on the trap, which counts it).
        Assert.True(OnThisMachine(new Uri(url)), $"{url} could leave the machine: targets elsewhere belong in SsrfSandboxTests");
        using HttpResponseMessage response = await EmbedAsync(url);
        await ResponseAssert.ErrorAsync(response, HttpStatusCode.BadRequest, "refused");
        await Task.Delay(50);
        Assert.Equal(0, Volatile.Read(ref _trapConnections));
    }

    [Fact]
    public async Task RedirectFromAllowedServerToPrivateAddress_IsRefusedWithoutConnecting()
    {
        string target = Uri.EscapeDataString($"http://127.0.0.1:{TrapPort}/secret");
        using HttpResponseMessage response = await EmbedAsync(AllowedImages($"/redirect?to={target}"));
        await ResponseAssert.ErrorAsync(response, HttpStatusCode.BadRequest, "refused");
        Assert.Equal(1, _images.Hits.GetValueOrDefault("/redirect"));
        Assert.Equal(0, Volatile.Read(ref _trapConnections));
    }

    [Fact]
    public async Task RedirectToFileScheme_IsRefused()
    {
        using HttpResponseMessage response = await EmbedAsync(AllowedImages("/redirect?to=" + Uri.EscapeDataString("file:///etc/passwd")));
        await ResponseAssert.ErrorAsync(response, HttpStatusCode.BadRequest, "redirected to something that is not an http(s) URL");
    }

    [Fact]
    public async Task AllowedHost_ServesImage_AndRedirectsWithinLimitAreFollowed()
    {
        string image = Path.GetFileName(TestPaths.DevFiles()[0]);
        using HttpResponseMessage direct = await EmbedAsync(AllowedImages("/dev/" + image));
        Assert.Equal(HttpStatusCode.OK, direct.StatusCode);
        using HttpResponseMessage redirected = await EmbedAsync(AllowedImages("/redirect?to=" + Uri.EscapeDataString("/dev/" + image)));
        Assert.Equal(HttpStatusCode.OK, redirected.StatusCode);
    }

    [Fact]
    public async Task TooManyRedirects_Returns502()
    {
        using HttpResponseMessage response = await EmbedAsync(AllowedImages("/loop/0"));
        await ResponseAssert.ErrorAsync(response, HttpStatusCode.BadGateway, "Too many redirects");
        Assert.Equal(4, Enumerable.Range(0, 10).Count(i => _images.Hits.ContainsKey($"/loop/{i}")));
    }

    [Fact]
    public async Task RemoteErrorStatus_Returns502()
    {
        using HttpResponseMessage response = await EmbedAsync(AllowedImages("/status/404"));
        await ResponseAssert.ErrorAsync(response, HttpStatusCode.BadGateway, "answered 404");
    }

    [Fact]
    public async Task RemoteTooSlow_Returns504NamingTheSetting()
    {
        using HttpResponseMessage response = await EmbedAsync(AllowedImages("/slow"));
        await ResponseAssert.ErrorAsync(response, HttpStatusCode.GatewayTimeout, "1500 ms (Imaging:FetchTimeoutMs)");
    }

    [Fact]
    public async Task RemoteBodyOverLimit_Returns413()
    {
        using HttpResponseMessage response = await EmbedAsync(AllowedImages("/endless"));
        await ResponseAssert.ErrorAsync(response, HttpStatusCode.RequestEntityTooLarge, "1,000,000 bytes");
    }

    [Fact]
    public async Task UploadOverLimit_Returns413OnEveryRoute()
    {
        byte[] big = new byte[1_200_000];
        File.ReadAllBytes(TestPaths.DevFiles()[0]).CopyTo(big, 0);
        using HttpResponseMessage dataUri = await _service.Client.PostAsync("/api/ai/embeddings",
            new StringContent(JsonSerializer.Serialize(new { image = TestImages.DataUri(big) }), Encoding.UTF8, "application/json"));
        await ResponseAssert.ErrorAsync(dataUri, HttpStatusCode.RequestEntityTooLarge);
        using var form = new MultipartFormDataContent { { new ByteArrayContent(big), "image", "big.jpg" } };
        using HttpResponseMessage multipart = await _service.Client.PostAsync("/api/ai/embeddings", form);
        await ResponseAssert.ErrorAsync(multipart, HttpStatusCode.RequestEntityTooLarge);
        using var raw = new ByteArrayContent(big);
        raw.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("image/jpeg");
        using HttpResponseMessage rawResponse = await _service.Client.PostAsync("/api/ai/embeddings", raw);
        await ResponseAssert.ErrorAsync(rawResponse, HttpStatusCode.RequestEntityTooLarge);
    }

    private static bool OnThisMachine(Uri url)
    {
        if (!IPAddress.TryParse(url.DnsSafeHost, out IPAddress? address))
            return url.DnsSafeHost == "localhost" || (Names.TryGetValue(url.DnsSafeHost, out IPAddress[]? resolved) && resolved.All(IPAddress.IsLoopback));
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        return IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any);
    }

    private Task<HttpResponseMessage> EmbedAsync(string url) =>
        _service.Client.PostAsync("/api/ai/embeddings", new StringContent(JsonSerializer.Serialize(new { image = url }), Encoding.UTF8, "application/json")).DefaultTimeout();

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (true)
            {
                using TcpClient client = await _trap.AcceptTcpClientAsync();
                Interlocked.Increment(ref _trapConnections);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }
}

/// <summary>
/// Image URLs aimed off this machine (a private network, the cloud metadata address, a public-looking name
/// that resolves to it) are refused before any connection. The service runs in a network namespace the test
/// makes, with only its own loopback, so a regression could reach nothing: it would show as a 502 (no route)
/// instead of the 400 refusal. The test talks to it over a Unix socket.
/// </summary>
public sealed class SsrfSandboxTests : IAsyncLifetime
{
    private const string Key = "sandbox-key-0123456789";
    private readonly string _data = Directory.CreateTempSubdirectory("imageembed-ssrf-").FullName;
    private NetworkSandbox _sandbox = null!;
    private Process _service = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _sandbox = NetworkSandbox.Create("169.254.169.254 metadata.example.com", "10.0.0.1 intranet.example.com");
        (_service, _client) = await ServiceProcess.StartInSandboxAsync(_sandbox, Path.Combine(_data, "service.sock"),
            new Dictionary<string, string> { ["IMAGEEMBED_DATA_DIR"] = _data, ["IMAGEEMBED_API_KEYS"] = Key, ["IMAGEEMBED_FETCH_TIMEOUT_MS"] = "1500" });
        _client.DefaultRequestHeaders.Add("x-api-key", Key);
    }

    public async Task DisposeAsync()
    {
        _client?.Dispose();
        if (_service is { HasExited: false })
        {
            _service.Kill(entireProcessTree: true);
            await _service.WaitForExitAsync();
        }
        _service?.Dispose();
        _sandbox?.Dispose();
        Directory.Delete(_data, recursive: true);
    }

    [Theory]
    [InlineData("http://10.0.0.1/cat.jpg")]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("http://metadata.example.com/latest/meta-data/")]
    [InlineData("http://intranet.example.com/cat.jpg")]
    [InlineData("http://[::127.0.0.1]/cat.jpg")]
    [InlineData("http://[64:ff9b::7f00:1]/cat.jpg")]
    [InlineData("http://[64:ff9b::a9fe:a9fe]/latest/meta-data/")]
    [InlineData("http://[2002:7f00:1::1]/cat.jpg")]
    public async Task AddressOffThisMachine_IsRefusedBeforeConnecting(string url)
    {
        using HttpResponseMessage response = await _client.PostAsync("/api/ai/embeddings",
            new StringContent(JsonSerializer.Serialize(new { image = url }), Encoding.UTF8, "application/json")).DefaultTimeout();
        await ResponseAssert.ErrorAsync(response, HttpStatusCode.BadRequest, "refused");
    }
}
