using System.Net;
using ImageEmbed.Tests;

namespace ImageEmbed.Cli.Tests;

/// <summary>Serves local files over HTTP on loopback (<c>/f?path=...</c>), with a misleading Content-Type: the CLI must sniff bytes.</summary>
internal sealed class LoopbackImageServer : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;
    private readonly int _port;

    private LoopbackImageServer(int port)
    {
        _port = port;
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public static Task<LoopbackImageServer> StartAsync() => Task.FromResult(new LoopbackImageServer(TestNetwork.FreePort()));

    public string Url(string file) => $"http://127.0.0.1:{_port}/f?path={Uri.EscapeDataString(file)}";

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException) { return; }
            string? path = context.Request.QueryString["path"];
            if (path is null || !File.Exists(path)) context.Response.StatusCode = 404;
            else
            {
                byte[] bytes = await File.ReadAllBytesAsync(path);
                context.Response.ContentType = "text/plain";
                context.Response.ContentLength64 = bytes.Length;
                await context.Response.OutputStream.WriteAsync(bytes);
            }
            context.Response.Close();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop.DefaultTimeout();
    }
}
