using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ImageEmbed.Storage.Tests;
using ImageEmbed.Tests;

namespace ImageEmbed.Service.Tests;

/// <summary>
/// PostgreSQL going away and coming back under a running node (PGlite stopped with SIGTERM and restarted on the
/// same port and database): 503 with Retry-After naming the server while it is away, <c>/readyz</c> 503 at once,
/// and the first request after it returns answered, not failed on a connection that died with the old server.
/// </summary>
public sealed class PgOutageTests(PersistentPgliteServerFixture postgres) : IClassFixture<PersistentPgliteServerFixture>
{
    [Fact]
    public async Task Outage_503WithRetryAfterAndReadyz503_ThenTheFirstRequestAfterItReturnsSucceeds()
    {
        if (!postgres.IsPglite) return; // an external server is not ours to stop
        await using ServiceServer service = await ServiceServer.StartAsync(new Dictionary<string, string?> { ["Service:Store"] = postgres.ConnectionString });
        HttpClient client = service.Client;
        Assert.Equal(HttpStatusCode.OK, (await client.PutAsJsonAsync("/v1/collections/outage", new { model = "mobilenet-v2-140" }).DefaultTimeout()).StatusCode);
        await UpsertAsync(client, "a");

        await postgres.StopAsync();
        try
        {
            using (HttpResponseMessage ready = await service.Anonymous.GetAsync("/readyz").DefaultTimeout())
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
                Assert.Equal("store_unavailable", (await ready.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
            }
            foreach (Func<Task<HttpResponseMessage>> call in new Func<Task<HttpResponseMessage>>[]
                     {
                         () => client.GetAsync("/v1/collections"),
                         () => client.PostAsJsonAsync("/v1/collections/outage/search", new { id = "a", k = 1 }),
                         () => client.PostAsJsonAsync("/v1/collections/outage/items", new { items = new[] { new { id = "b", vector = Vector(1792) } } }),
                     })
            {
                using HttpResponseMessage response = await call().DefaultTimeout();
                string message = await ResponseAssert.ErrorAsync(response, HttpStatusCode.ServiceUnavailable, $"127.0.0.1:{postgres.Port}");
                Assert.Contains("IMAGEEMBED_STORE", message, StringComparison.Ordinal);
                Assert.Equal("2", response.Headers.GetValues("Retry-After").Single());
            }
            Assert.Equal(HttpStatusCode.OK, (await service.Anonymous.GetAsync("/healthz").DefaultTimeout()).StatusCode);
        }
        finally
        {
            await postgres.RestartAsync();
        }

        using (HttpResponseMessage first = await client.GetAsync("/v1/collections/outage").DefaultTimeout())
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.Equal(1, (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("count").GetInt32());
        }
        Assert.Equal(HttpStatusCode.OK, (await service.Anonymous.GetAsync("/readyz").DefaultTimeout()).StatusCode);

        // A restart between two requests leaves the pool holding a connection to the old server: still no failure.
        await postgres.StopAsync();
        await postgres.RestartAsync();
        await UpsertAsync(client, "c");
        using HttpResponseMessage search = await client.PostAsJsonAsync("/v1/collections/outage/search", new { id = "c", k = 2 }).DefaultTimeout();
        Assert.Equal(HttpStatusCode.OK, search.StatusCode);
        Assert.Equal("a", (await search.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("results")[0].GetProperty("id").GetString()); // "c" itself is left out
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync("/v1/collections/outage").DefaultTimeout()).StatusCode);
    }

    [Fact]
    public async Task PoolExhausted_503NamingThePoolSetting_Never500()
    {
        // PGlite serves one connection; with a one-second wait for it, a burst of upserts exhausts the pool.
        string impatient = postgres.ConnectionString.Replace("Timeout=60", "Timeout=1", StringComparison.Ordinal);
        await using ServiceServer service = await ServiceServer.StartAsync(new Dictionary<string, string?> { ["Service:Store"] = impatient });
        HttpClient client = service.Client;
        Assert.Equal(HttpStatusCode.OK, (await client.PutAsJsonAsync("/v1/collections/burst", new { model = "mobilenet-v2-140" }).DefaultTimeout()).StatusCode);

        HttpResponseMessage[] responses = await Task.WhenAll(Enumerable.Range(0, 24).Select(i =>
            client.PostAsJsonAsync("/v1/collections/burst/items", new { items = Enumerable.Range(0, 200).Select(j => new { id = $"{i}-{j}", vector = Vector(1792, i * 1000 + j) }) }))).DefaultTimeout();
        try
        {
            Assert.All(responses, r => Assert.True(r.StatusCode is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable, $"got {(int)r.StatusCode}"));
            HttpResponseMessage refused = responses.First(r => r.StatusCode == HttpStatusCode.ServiceUnavailable);
            await ResponseAssert.ErrorAsync(refused, HttpStatusCode.ServiceUnavailable, "IMAGEEMBED_STORE_POOL_SIZE");
            Assert.True(refused.Headers.Contains("Retry-After"));
        }
        finally
        {
            foreach (HttpResponseMessage r in responses) r.Dispose();
        }
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync("/v1/collections/burst").DefaultTimeout()).StatusCode);
    }

    private static async Task UpsertAsync(HttpClient client, string id)
    {
        using HttpResponseMessage r = await client.PostAsJsonAsync("/v1/collections/outage/items", new { items = new[] { new { id, vector = Vector(1792, id[0]) } } }).DefaultTimeout();
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
    }

    private static float[] Vector(int n, int seed = 0)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
    }
}
