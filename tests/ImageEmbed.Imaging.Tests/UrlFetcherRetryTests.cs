using System.Net;
using System.Net.Sockets;
using System.Text;
using ImageEmbed.Imaging.Intake;
using ImageEmbed.Tests;

namespace ImageEmbed.Imaging.Tests;

/// <summary>
/// A server that resets connections under a burst (Python's http.server has an accept backlog of 5) must not cost
/// images: a failed connection is tried once more, and a second failure names the socket's own error. The server
/// is a raw socket on loopback that drops the first <c>drops</c> connections before answering.
/// </summary>
public sealed class UrlFetcherRetryTests
{
    private static readonly byte[] Body = File.ReadAllBytes(TestPaths.Format("tiny_1x1.png"));

    [Fact]
    public async Task Fetch_ConnectionResetOnce_IsTriedAgainAndSucceeds()
    {
        using var server = new DroppingServer(drops: 1);
        using var fetcher = new UrlFetcher(new ImagingOptions { AllowPrivateUrls = true }, SystemHostResolver.Instance);
        byte[] fetched = await fetcher.FetchAsync(server.Url, CancellationToken.None).DefaultTimeout();
        Assert.Equal(Body, fetched);
        Assert.Equal(2, server.Connections);
    }

    [Fact]
    public async Task Fetch_ConnectionResetTwice_FailsNamingTheSocketError()
    {
        using var server = new DroppingServer(drops: int.MaxValue);
        using var fetcher = new UrlFetcher(new ImagingOptions { AllowPrivateUrls = true }, SystemHostResolver.Instance);
        var e = await Assert.ThrowsAsync<ImageFetchException>(() => fetcher.FetchAsync(server.Url, CancellationToken.None)).DefaultTimeout();
        Assert.StartsWith($"Could not fetch the image from {server.Url} (tried twice): An error occurred while sending the request: ", e.Message, StringComparison.Ordinal);
        Assert.Contains("Connection reset by peer", e.Message, StringComparison.Ordinal);
        Assert.Equal(2, server.Connections);
    }

    private sealed class DroppingServer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly int _drops;
        private int _connections;

        public DroppingServer(int drops)
        {
            _drops = drops;
            _listener.Start();
            _ = Task.Run(ServeAsync);
        }

        public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/tiny.png";
        public int Connections => Volatile.Read(ref _connections);

        private async Task ServeAsync()
        {
            while (true)
            {
                Socket socket;
                try { socket = await _listener.AcceptSocketAsync(); }
                catch (Exception e) when (e is SocketException or ObjectDisposedException) { return; }
                using (socket)
                {
                    byte[] request = new byte[4096];
                    int read = await socket.ReceiveAsync(request);
                    if (Interlocked.Increment(ref _connections) <= _drops)
                    {
                        socket.LingerState = new LingerOption(true, 0); // close with RST, as an overflowing backlog does
                        continue;
                    }
                    byte[] head = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: {Body.Length}\r\nConnection: close\r\n\r\n");
                    await socket.SendAsync(head.Concat(Body).ToArray());
                    socket.Shutdown(SocketShutdown.Both);
                    _ = read;
                }
            }
        }

        public void Dispose() => _listener.Stop();
    }
}
