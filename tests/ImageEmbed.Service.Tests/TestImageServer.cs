using System.Collections.Concurrent;
using ImageEmbed.Tests;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace ImageEmbed.Service.Tests;

/// <summary>
/// A remote image server on loopback: serves the shared fixtures with a misleading Content-Type
/// (the service must sniff bytes), and misbehaves on request: redirects, slow answers, error
/// statuses, endless bodies. Counts requests per path.
/// </summary>
public sealed class TestImageServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestImageServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }
    public ConcurrentDictionary<string, int> Hits { get; } = new();

    public string Url(string pathAndQuery) => new Uri(Address, pathAndQuery).ToString();
    public string Dev(string file) => Url("/dev/" + Uri.EscapeDataString(file));
    public string Format(string file) => Url("/formats/" + Uri.EscapeDataString(file));

    public static async Task<TestImageServer> StartAsync()
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        WebApplication app = builder.Build();
        TestImageServer? self = null;
        app.Use(async (context, next) =>
        {
            self!.Hits.AddOrUpdate(context.Request.Path, 1, (_, n) => n + 1);
            await next(context);
        });
        app.MapGet("/dev/{file}", (string file) => Results.File(File.ReadAllBytes(TestPaths.Dev(file)), "text/plain"));
        app.MapGet("/formats/{file}", (string file) => Results.File(File.ReadAllBytes(TestPaths.Format(file)), "image/jpeg"));
        app.MapGet("/blank", () => Results.Content("<!doctype html><title>another origin</title>", "text/html")); // a page on another origin, for CORS
        app.MapGet("/redirect", (string to) => Results.Redirect(to));
        app.MapGet("/loop/{n:int}", (int n) => Results.Redirect($"/loop/{n + 1}"));
        app.MapGet("/status/{code:int}", (int code) => Results.StatusCode(code));
        app.MapGet("/slow", async (CancellationToken ct) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(30), ct);
            return Results.Ok();
        });
        app.MapGet("/endless", async (HttpContext context) =>
        {
            // No Content-Length: the size is only known by reading, so the cap must cut it off.
            context.Response.ContentType = "image/jpeg";
            byte[] chunk = new byte[64 * 1024];
            chunk[0] = 0xFF; chunk[1] = 0xD8; chunk[2] = 0xFF;
            for (int i = 0; i < 1000 && !context.RequestAborted.IsCancellationRequested; i++)
                await context.Response.Body.WriteAsync(chunk, context.RequestAborted);
        });
        await app.StartAsync().DefaultTimeout();
        string url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        self = new TestImageServer(app, new Uri(url));
        return self;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().DefaultTimeout();
        await _app.DisposeAsync();
    }
}
