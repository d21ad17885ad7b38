using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ImageEmbed.Models.Embeddings;
using ImageEmbed.Tests;
using Xunit.Abstractions;

namespace ImageEmbed.Service.Tests;

/// <summary>
/// Nothing acknowledged is lost: the service runs as its own process, takes a stream of upserts from
/// concurrent clients, is killed with SIGKILL mid-stream, restarts on the same data folder, and every
/// item it had answered 200 for is there and found first when searched by its own vector.
/// </summary>
public sealed class DurabilityTests(ITestOutputHelper output) : IDisposable
{
    private const string Key = "durability-key";
    private readonly string _data = Directory.CreateTempSubdirectory("imageembed-durable-").FullName;

    public void Dispose() => Directory.Delete(_data, recursive: true);

    [Fact]
    public async Task Sigkill_MidStream_EveryAcknowledgedItemSurvives()
    {
        int port = TestNetwork.FreePort();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Add("x-api-key", Key);

        Process service = await ServiceProcess.StartAsync(port, new Dictionary<string, string> { ["IMAGEEMBED_DATA_DIR"] = _data, ["IMAGEEMBED_API_KEYS"] = Key });
        Assert.Equal(HttpStatusCode.OK, (await http.PutAsJsonAsync("/v1/collections/durable", new { model = "mobilenet-v2-140" })).StatusCode);

        var acknowledged = new ConcurrentDictionary<string, float[]>();
        using var stop = new CancellationTokenSource();
        Task[] writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            var rng = new Random(w);
            for (int batch = 0; !stop.IsCancellationRequested; batch++)
            {
                var items = Enumerable.Range(0, 10).Select(i => (Id: $"w{w}-b{batch}-{i}", Vector: UnitVector(rng))).ToArray();
                try
                {
                    using HttpResponseMessage r = await http.PostAsJsonAsync("/v1/collections/durable/items", new { items = items.Select(i => new { id = i.Id, vector = i.Vector }) });
                    if (r.StatusCode != HttpStatusCode.OK) continue;
                    if ((await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("upserted").GetInt32() != items.Length) continue;
                    foreach ((string id, float[] vector) in items) acknowledged[id] = vector;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException or JsonException)
                {
                    if (service.HasExited) return; // the kill came mid-request: that batch was never acknowledged
                }
            }
        })).ToArray();

        while (acknowledged.Count < 600) await Task.Delay(20);
        service.Kill(); // SIGKILL: no shutdown hooks, no flushing
        await service.WaitForExitAsync().DefaultTimeout();
        stop.Cancel();
        await Task.WhenAll(writers).DefaultTimeout();
        output.WriteLine($"{acknowledged.Count} items acknowledged before SIGKILL");

        service = await ServiceProcess.StartAsync(port, new Dictionary<string, string> { ["IMAGEEMBED_DATA_DIR"] = _data, ["IMAGEEMBED_API_KEYS"] = Key });
        try
        {
            JsonElement info = await http.GetFromJsonAsync<JsonElement>("/v1/collections/durable");
            Assert.True(info.GetProperty("count").GetInt64() >= acknowledged.Count);
            foreach ((string id, float[] vector) in acknowledged)
            {
                using HttpResponseMessage item = await http.GetAsync($"/v1/collections/durable/items/{id}");
                Assert.Equal(HttpStatusCode.OK, item.StatusCode);
                using HttpResponseMessage search = await http.PostAsJsonAsync("/v1/collections/durable/search", new { vector, k = 1 });
                JsonElement hit = (await search.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("results")[0];
                Assert.Equal(id, hit.GetProperty("id").GetString());
            }
        }
        finally
        {
            service.Kill();
            await service.WaitForExitAsync();
        }
    }


    private static float[] UnitVector(Random rng)
    {
        float[] v = new float[1792];
        for (int i = 0; i < v.Length; i++) v[i] = (float)(rng.NextDouble() * 2 - 1);
        VectorMath.Normalize(v);
        return v;
    }
}
