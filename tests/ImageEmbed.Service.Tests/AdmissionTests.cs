using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using ImageEmbed.Models;
using ImageEmbed.Tests;

namespace ImageEmbed.Service.Tests;

/// <summary>
/// Work is admitted before it is done: a request whose images do not fit beside those in flight, or whose body does not
/// fit beside the bodies being read, is refused at once with 503 and Retry-After, and the service serves again after.
/// </summary>
public sealed class AdmissionTests
{
    [Fact]
    public async Task ImagesThatDoNotFitBesideThoseInFlight_AreRefusedWhole_AtOnce_AndServedAfter()
    {
        await using TestImageServer images = await TestImageServer.StartAsync();
        await using ServiceServer service = await ServiceServer.StartAsync(new Dictionary<string, string?>
        {
            ["Models:QueueCapacity"] = "2",
            ["Imaging:AllowPrivateUrls"] = "true",
        });
        EmbeddingEngine engine = service.Services.GetRequiredService<EmbeddingEngine>();
        string tiny = TestImages.DataUri(TestPaths.Format("tiny_1x1.png"));
        (await service.Client.PutAsJsonAsync("/v1/collections/held", new { model = "default" }).DefaultTimeout()).EnsureSuccessStatusCode();

        // Two images whose downloads hang hold the whole capacity.
        using var holding = new CancellationTokenSource();
        Task<HttpResponseMessage> held = service.Client.PostAsync("/v1/embeddings",
            LoadTests.Json(new { input = new[] { images.Url("/slow"), images.Url("/slow?b") }, modality = "image" }), holding.Token);
        for (int i = 0; engine.Admission.InFlight < 2; i++)
        {
            Assert.True(i < 200, "the held request was never admitted");
            await Task.Delay(50);
        }

        (string Route, object Body)[] refused =
        [
            ("/api/ai/embeddings", new { image = tiny }),
            ("/v1/embeddings", new { input = new[] { tiny } }),
            ("/v1/collections/held/items", new { items = new[] { new { id = "a", image = tiny } } }),
            ("/v1/collections/held/search", new { image = tiny }),
        ];
        foreach ((string route, object body) in refused)
        {
            using HttpResponseMessage response = await service.Client.PostAsync(route, LoadTests.Json(body)).DefaultTimeout();
            string message = route == "/v1/embeddings"
                ? (await ResponseAssert.OpenAiErrorAsync(response, HttpStatusCode.ServiceUnavailable)).GetProperty("message").GetString()!
                : await ResponseAssert.ErrorAsync(response, HttpStatusCode.ServiceUnavailable);
            Assert.Equal("2 images are in progress and this request adds 1 (Models:QueueCapacity = 2); retry in about 1 s.", message);
            Assert.Equal(TimeSpan.FromSeconds(1), response.Headers.RetryAfter?.Delta);
        }
        // A vector upsert reads no image: it is not held back.
        float[] vector = new float[1792];
        vector[0] = 1;
        using (HttpResponseMessage vectors = await service.Client.PostAsync("/v1/collections/held/items",
            LoadTests.Json(new { items = new[] { new { id = "v", vector } } })).DefaultTimeout())
            Assert.Equal(HttpStatusCode.OK, vectors.StatusCode);

        // The client gives up: its images leave, and the next request is served.
        await holding.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => held);
        for (int i = 0; engine.Admission.InFlight > 0; i++)
        {
            Assert.True(i < 200, "the cancelled request's images were never released");
            await Task.Delay(50);
        }
        using HttpResponseMessage after = await service.Client.PostAsync("/v1/embeddings", LoadTests.Json(new { input = new[] { tiny, tiny } })).DefaultTimeout();
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public async Task BodiesPastTheBudget_AreRefusedBeforeBeingRead_AndServedAfter()
    {
        await using ServiceServer service = await ServiceServer.StartAsync(new Dictionary<string, string?>
        {
            ["Service:MaxBodyBytesInFlight"] = "1048576",
        });
        string tiny = TestImages.DataUri(TestPaths.Format("tiny_1x1.png"));
        // 600 KB of JSON: within the per-request limit, and two of them are more than 1 MiB.
        string padded = JsonSerializer.Serialize(new { image = tiny, model = "default", padding = new string('x', 600_000) });

        // A slow client: headers and a little of a 900 KB body, and then nothing.
        async Task<TcpClient> SendSlowAsync()
        {
            var client = new TcpClient();
            await client.ConnectAsync(service.Address.Host, service.Address.Port);
            await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes(
                $"POST /api/ai/embeddings HTTP/1.1\r\nHost: localhost\r\nx-api-key: {ServiceServer.Key}\r\nContent-Type: application/json\r\nContent-Length: 900000\r\n\r\n{{\"image\": \""));
            return client;
        }
        TcpClient slow = await SendSlowAsync();

        string? message = null;
        for (int i = 0; message is null && i < 100; i++)
        {
            // On a busy machine a probe can be reserved first, and then the slow request is the one refused (it is
            // answered): send it again, so that it holds its reservation while the next probe comes.
            if (slow.Client.Poll(0, SelectMode.SelectRead))
            {
                slow.Dispose();
                slow = await SendSlowAsync();
                await Task.Delay(100);
            }
            using HttpResponseMessage response = await service.Client.PostAsync("/api/ai/embeddings", new StringContent(padded, Encoding.UTF8, "application/json")).DefaultTimeout();
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                message = await ResponseAssert.ErrorAsync(response, HttpStatusCode.ServiceUnavailable);
                Assert.Equal(TimeSpan.FromSeconds(1), response.Headers.RetryAfter?.Delta);
            }
            else
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode); // only before the slow request's headers arrived
                await Task.Delay(50);
            }
        }
        Assert.Equal("Request bodies of 0 MiB are being read, and this one's 1 MiB would pass Service:MaxBodyBytesInFlight (1 MiB); retry in about 1 s.", message);

        slow.Dispose();
        for (int i = 0; ; i++)
        {
            using HttpResponseMessage response = await service.Client.PostAsync("/api/ai/embeddings", new StringContent(padded, Encoding.UTF8, "application/json")).DefaultTimeout();
            if (response.StatusCode == HttpStatusCode.OK) break;
            Assert.True(i < 100, "the slow client's reservation was never released");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task KestrelBadRequests_AreA400InTheRoutesShape()
    {
        await using ServiceServer service = await ServiceServer.StartAsync();
        (string Name, string Request)[] cases =
        [
            ("chunk size overflow", "Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFFFFFF\r\nx"),
            ("chunk size not hex", "Transfer-Encoding: chunked\r\n\r\nzz\r\nx"),
        ];
        foreach ((string name, string tail) in cases)
        {
            using var client = new TcpClient();
            await client.ConnectAsync(service.Address.Host, service.Address.Port);
            NetworkStream stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes(
                $"POST /v1/embeddings HTTP/1.1\r\nHost: localhost\r\nx-api-key: {ServiceServer.Key}\r\nContent-Type: application/json\r\n{tail}"));
            // Kestrel closes the connection after a bad request: the response is all there is to read.
            string response = await new StreamReader(stream).ReadToEndAsync().DefaultTimeout();
            Assert.True(response.StartsWith("HTTP/1.1 400 ", StringComparison.Ordinal), $"{name}: {response}");
            Assert.Contains("\"error\":{", response, StringComparison.Ordinal);
        }
        using HttpResponseMessage after = await service.Client.GetAsync("/readyz").DefaultTimeout();
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }
}
