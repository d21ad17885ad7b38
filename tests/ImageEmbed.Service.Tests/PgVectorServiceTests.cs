using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ImageEmbed.Storage.Tests;
using ImageEmbed.Tests;

namespace ImageEmbed.Service.Tests;

/// <summary>The same collections API over PostgreSQL/pgvector (IMAGEEMBED_STORE), with real pgvector through PGlite.</summary>
public sealed class PgVectorServiceTests(PgliteServerFixture postgres) : IClassFixture<PgliteServerFixture>
{
    [Fact]
    public async Task Collections_OverPgVector_SearchFindsEachImageFirst()
    {
        await using ServiceServer service = await ServiceServer.StartAsync(new Dictionary<string, string?> { ["Service:Store"] = postgres.ConnectionString });
        HttpClient client = service.Client;
        Assert.Equal(HttpStatusCode.OK, (await client.PutAsJsonAsync("/v1/collections/pg-dev", new { }).DefaultTimeout()).StatusCode);
        string[] files = TestPaths.DevFiles().Take(20).ToArray();
        var items = files.Select(f => new { id = Path.GetFileNameWithoutExtension(f), image = TestImages.DataUri(f) });
        using HttpResponseMessage upsert = await client.PostAsJsonAsync("/v1/collections/pg-dev/items", new { items }).DefaultTimeout();
        Assert.Equal(files.Length, (await upsert.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("upserted").GetInt32());

        foreach (string file in files)
        {
            using HttpResponseMessage search = await client.PostAsJsonAsync("/v1/collections/pg-dev/search", new { image = TestImages.DataUri(file), k = 3 }).DefaultTimeout();
            JsonElement hits = (await search.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("results");
            Assert.Equal(Path.GetFileNameWithoutExtension(file), hits[0].GetProperty("id").GetString());
        }
        using HttpResponseMessage duplicates = await client.PostAsync("/v1/collections/pg-dev/duplicates", null).DefaultTimeout();
        Assert.Equal(0, (await duplicates.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("groups").GetArrayLength());
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync("/v1/collections/pg-dev").DefaultTimeout()).StatusCode);
    }

    [Fact]
    public async Task Thumbnail_AddedThroughOneNode_IsServedByAnother()
    {
        // PGlite answers one connection at a time: without pooling, the two nodes take turns instead of each holding one.
        string unpooled = postgres.ConnectionString + ";Pooling=false";
        await using ServiceServer first = await ServiceServer.StartAsync(new Dictionary<string, string?> { ["Service:Store"] = unpooled });
        await using ServiceServer second = await ServiceServer.StartAsync(new Dictionary<string, string?> { ["Service:Store"] = unpooled });
        Assert.Equal(HttpStatusCode.OK, (await first.Client.PutAsJsonAsync("/v1/collections/pg-shared", new { }).DefaultTimeout()).StatusCode);
        string file = TestPaths.DevFiles()[5];
        using (HttpResponseMessage upsert = await first.Client.PostAsJsonAsync("/v1/collections/pg-shared/items", new { items = new[] { new { id = "photo", image = TestImages.DataUri(file) } } }).DefaultTimeout())
            Assert.Equal(1, (await upsert.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("upserted").GetInt32());

        using HttpResponseMessage fromFirst = await first.Client.GetAsync("/v1/collections/pg-shared/items/photo/thumbnail").DefaultTimeout();
        using HttpResponseMessage fromSecond = await second.Client.GetAsync("/v1/collections/pg-shared/items/photo/thumbnail").DefaultTimeout();
        Assert.Equal(HttpStatusCode.OK, fromSecond.StatusCode);
        Assert.Equal("image/jpeg", fromSecond.Content.Headers.ContentType?.MediaType);
        Assert.Equal(await fromFirst.Content.ReadAsByteArrayAsync(), await fromSecond.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.NoContent, (await second.Client.DeleteAsync("/v1/collections/pg-shared").DefaultTimeout()).StatusCode);
    }

    [Fact]
    public async Task Store_Unreachable_Returns503NamingTheSettingAndStaysHealthy()
    {
        string closed = $"postgres://imageembed:secret@127.0.0.1:{TestNetwork.FreePort()}/imageembed";
        await using ServiceServer service = await ServiceServer.StartWithoutWaitingAsync(new Dictionary<string, string?> { ["Service:Store"] = closed });
        string status = "loading";
        for (int i = 0; i < 200 && status == "loading"; i++)
        {
            if (i > 0) await Task.Delay(50);
            using HttpResponseMessage ready = await service.Anonymous.GetAsync("/readyz").DefaultTimeout();
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode); // never ready without its store
            status = (await ready.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString()!;
        }
        Assert.Equal("store_unavailable", status);

        for (int attempt = 0; attempt < 2; attempt++) // a failed open is retried, not cached
        {
            using HttpResponseMessage response = await service.Client.GetAsync("/v1/collections").DefaultTimeout();
            string message = await ResponseAssert.ErrorAsync(response, HttpStatusCode.ServiceUnavailable, "IMAGEEMBED_STORE");
            Assert.DoesNotContain("secret", message, StringComparison.Ordinal);
        }
        Assert.Equal(HttpStatusCode.OK, (await service.Anonymous.GetAsync("/healthz").DefaultTimeout()).StatusCode);
    }
}
