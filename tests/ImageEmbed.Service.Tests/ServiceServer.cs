using System.Net;
using ImageEmbed.Imaging.Intake;
using ImageEmbed.Tests;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace ImageEmbed.Service.Tests;

/// <summary>The real service on a loopback port, with a real HttpClient, configured per test class.</summary>
public sealed class ServiceServer : IAsyncDisposable
{
    public const string Key = "test-key-0123456789";

    private readonly WebApplication _app;
    private readonly string _dataDir;

    private ServiceServer(WebApplication app, string dataDir, Uri address)
    {
        _app = app;
        _dataDir = dataDir;
        Address = address;
        Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
        Client.DefaultRequestHeaders.Add("x-api-key", Key);
        Anonymous = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
    }

    public Uri Address { get; }

    /// <summary>Sends the API key on every request.</summary>
    public HttpClient Client { get; }

    /// <summary>Sends no key.</summary>
    public HttpClient Anonymous { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>The service's data folder (keys, collections, jobs).</summary>
    public string DataDirectory => _dataDir;

    public static Task<ServiceServer> StartAsync(IDictionary<string, string?>? settings = null, IHostResolver? resolver = null, params string[] args) =>
        StartAsync(settings, resolver, waitReady: true, args);

    /// <summary>Starts the service with one more change to its builder (e.g. a logging provider that captures).</summary>
    public static Task<ServiceServer> StartAsync(IDictionary<string, string?> settings, Action<WebApplicationBuilder> configure) =>
        StartAsync(settings, resolver: null, waitReady: true, [], configure);

    /// <summary>Starts the service and returns while it may still be installing or loading its default model.</summary>
    public static Task<ServiceServer> StartWithoutWaitingAsync(IDictionary<string, string?> settings) =>
        StartAsync(settings, resolver: null, waitReady: false, []);

    private static async Task<ServiceServer> StartAsync(IDictionary<string, string?>? settings, IHostResolver? resolver, bool waitReady, string[] args,
        Action<WebApplicationBuilder>? configure = null)
    {
        string dataDir = Directory.CreateTempSubdirectory("imageembed-service-").FullName;
        var all = new Dictionary<string, string?>
        {
            ["DataDirectory"] = dataDir,
            ["Models:Directory"] = TestPaths.ModelsDir,
            ["Service:ApiKeys"] = Key,
            ["Logging:LogLevel:Default"] = "Warning",
        };
        if (settings is not null) foreach ((string k, string? v) in settings) all[k] = v;

        WebApplication app = ServiceHost.Build(args, builder =>
        {
            builder.Configuration.AddInMemoryCollection(all);
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            // Never the system resolver: a name a test uses resolves only to what the test says, so no
            // request can leave the machine through DNS. Without a resolver only localhost resolves.
            builder.Services.AddSingleton<IHostResolver>(resolver ?? new FakeHostResolver([]));
            configure?.Invoke(builder);
        });
        await app.StartAsync().DefaultTimeout();
        string url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var server = new ServiceServer(app, dataDir, new Uri(url));
        if (waitReady) await server.WaitReadyAsync();
        return server;
    }

    public async Task WaitReadyAsync()
    {
        for (int i = 0; i < 200; i++)
        {
            using HttpResponseMessage r = await Anonymous.GetAsync("/readyz").DefaultTimeout();
            if (r.StatusCode == HttpStatusCode.OK) return;
            await Task.Delay(50);
        }
        throw new TimeoutException("The service did not become ready.");
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        Anonymous.Dispose();
        await _app.StopAsync().DefaultTimeout();
        await _app.DisposeAsync();
        Directory.Delete(_dataDir, recursive: true);
    }
}

/// <summary>Test double for DNS: names that cannot resolve on this offline machine, mapped to chosen addresses.</summary>
public sealed class FakeHostResolver(Dictionary<string, IPAddress[]> names) : IHostResolver
{
    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) =>
        names.TryGetValue(host, out IPAddress[]? addresses) ? Task.FromResult(addresses)
        : host == "localhost" ? Task.FromResult(new[] { IPAddress.Loopback, IPAddress.IPv6Loopback })
        : throw new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.HostNotFound);
}
