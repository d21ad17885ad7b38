using System.Diagnostics;
using System.Net.Http.Headers;

namespace ImageEmbed.Cli.Commands;

/// <summary>A closed-loop HTTP load: N clients, each sending the next image as soon as its last answer arrived.</summary>
internal static class HttpLoad
{
    public static async Task<(double ImagesPerSecond, double P50Ms, double P99Ms)> RunAsync(Uri server, string key, IReadOnlyList<byte[]> images, int clients, double seconds, CancellationToken ct)
    {
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients }) { BaseAddress = server, Timeout = TimeSpan.FromSeconds(120) };
        http.DefaultRequestHeaders.Add("x-api-key", key);
        await SendAsync(http, images[0], ct); // warm-up: connection and first-request costs

        var latencies = new List<double>();
        int next = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            var mine = new List<double>();
            while (clock.Elapsed.TotalSeconds < seconds)
            {
                byte[] image = images[Interlocked.Increment(ref next) % images.Count];
                long start = Stopwatch.GetTimestamp();
                await SendAsync(http, image, ct);
                mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
            lock (latencies) latencies.AddRange(mine);
        }));
        double elapsed = clock.Elapsed.TotalSeconds;
        return (latencies.Count / elapsed, BenchCommand.Percentile(latencies, 50), BenchCommand.Percentile(latencies, 99));
    }

    private static async Task SendAsync(HttpClient http, byte[] image, CancellationToken ct)
    {
        using var content = new ByteArrayContent(image);
        content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        using HttpResponseMessage response = await http.PostAsync("/api/ai/embeddings", content, ct);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"The server answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
        await response.Content.CopyToAsync(Stream.Null, ct);
    }
}
