using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ImageEmbed.Models;
using ImageEmbed.Imaging;
using ImageEmbed.Tests;

namespace ImageEmbed.Service.Tests;

/// <summary>Bulk jobs through the real service: URLs from a loopback image server, progress, per-item errors, cancel, results.</summary>
public sealed class JobEndpointTests(OpenServiceFixture fixture) : IClassFixture<OpenServiceFixture>
{
    private HttpClient Client => fixture.Service.Client;

    [Fact]
    public async Task Job_UrlsIntoCollection_GoodOnesStoredBadOnesListedWithTheirStatus()
    {
        string collection = "jobs-" + Guid.NewGuid().ToString("N")[..8];
        (await Client.PutAsJsonAsync($"/v1/collections/{collection}", new { model = "mobilenet-v2-140" }).DefaultTimeout()).EnsureSuccessStatusCode();
        string[] good = TestPaths.DevFiles().Take(5).Select(f => fixture.Images.Dev(Path.GetFileName(f))).ToArray();
        string truncated = fixture.Images.Format("truncated.jpg"), missing = fixture.Images.Url("/status/404");

        using HttpResponseMessage created = await Client.PostAsJsonAsync("/v1/jobs", new { collection, urls = good.Append(truncated).Append(missing) }).DefaultTimeout();

        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        JsonElement job = await created.Content.ReadFromJsonAsync<JsonElement>();
        string id = job.GetProperty("id").GetString()!;
        Assert.Equal($"/v1/jobs/{id}", created.Headers.Location!.ToString());
        Assert.Equal(7, job.GetProperty("total").GetInt32());
        JsonElement done = await WaitFinishedAsync(id);
        Assert.Equal("completed", done.GetProperty("state").GetString());
        Assert.True(done.GetProperty("succeeded").GetInt32() == 5, $"5 should succeed: {done}");
        Assert.Equal(2, done.GetProperty("failed").GetInt32());
        Assert.Equal(1.0, done.GetProperty("progress").GetDouble());
        JsonElement[] errors = done.GetProperty("errors").EnumerateArray().ToArray();
        Assert.Equal((5, truncated, 422), (errors[0].GetProperty("index").GetInt32(), errors[0].GetProperty("url").GetString(), errors[0].GetProperty("status").GetInt32()));
        Assert.Contains("premature end of JPEG", errors[0].GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal((6, missing, 502), (errors[1].GetProperty("index").GetInt32(), errors[1].GetProperty("url").GetString(), errors[1].GetProperty("status").GetInt32()));

        JsonElement info = await Client.GetFromJsonAsync<JsonElement>($"/v1/collections/{collection}");
        Assert.Equal(5, info.GetProperty("count").GetInt64());
        JsonElement item = await Client.GetFromJsonAsync<JsonElement>($"/v1/collections/{collection}/items/{Uri.EscapeDataString(good[0])}");
        await using var engine = new EmbeddingEngine(new ModelsOptions { Directory = TestPaths.ModelsDir }, new ImagingOptions());
        float[] expected = (await engine.EmbedImageAsync(File.ReadAllBytes(TestPaths.DevFiles()[0]), "mobilenet-v2-140").DefaultTimeout()).Vector;
        Assert.Equal(expected, item.GetProperty("vector").EnumerateArray().Select(v => v.GetSingle()).ToArray());
        Assert.Equal(good[0], item.GetProperty("source").GetString());
    }

    [Fact]
    public async Task Job_WithoutCollection_ResultsHoldTheEmbeddingsWithChosenIds()
    {
        string url = fixture.Images.Dev(Path.GetFileName(TestPaths.DevFiles()[1]));
        using HttpResponseMessage created = await Client.PostAsJsonAsync("/v1/jobs", new { items = new[] { new { url, id = "photo-1", metadata = new { album = "a" } } } }).DefaultTimeout();
        string id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        Assert.Equal("completed", (await WaitFinishedAsync(id)).GetProperty("state").GetString());

        JsonElement results = await Client.GetFromJsonAsync<JsonElement>($"/v1/jobs/{id}/results");
        JsonElement only = Assert.Single(results.GetProperty("results").EnumerateArray());
        Assert.Equal("photo-1", only.GetProperty("id").GetString());
        Assert.Equal(1792, only.GetProperty("embedding").GetArrayLength());
    }

    [Fact]
    public async Task Job_Cancel_StopsItAndKeepsItCancelled_CompletedJobCannotBeCancelled()
    {
        // Slow URLs keep the job busy long enough to cancel it half-way.
        string[] urls = Enumerable.Range(0, 40).Select(i => fixture.Images.Url($"/slow?n={i}")).ToArray();
        using HttpResponseMessage created = await Client.PostAsJsonAsync("/v1/jobs", new { urls }).DefaultTimeout();
        string id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;

        using HttpResponseMessage cancelled = await Client.DeleteAsync($"/v1/jobs/{id}").DefaultTimeout();
        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
        Assert.Equal("cancelled", (await cancelled.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString());
        await Task.Delay(500);
        JsonElement after = await Client.GetFromJsonAsync<JsonElement>($"/v1/jobs/{id}");
        Assert.Equal("cancelled", after.GetProperty("state").GetString());
        Assert.True(after.GetProperty("pending").GetInt32() > 0);

        using HttpResponseMessage small = await Client.PostAsJsonAsync("/v1/jobs", new { urls = new[] { fixture.Images.Dev(Path.GetFileName(TestPaths.DevFiles()[2])) } }).DefaultTimeout();
        string done = (await small.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        await WaitFinishedAsync(done);
        using HttpResponseMessage refused = await Client.PostAsync($"/v1/jobs/{done}/cancel", null).DefaultTimeout();
        await ResponseAssert.ErrorAsync(refused, HttpStatusCode.Conflict, $"Job '{done}' has already completed; there is nothing to cancel.");
    }

    [Theory]
    [InlineData("""{"urls": []}""", "'urls' must be a non-empty array.")]
    [InlineData("""{"urls": ["ftp://example.com/a.jpg"]}""", "urls[0] is not an http(s) URL.")]
    [InlineData("""{"urls": ["data:image/png;base64,AAAA"]}""", "urls[0] is not an http(s) URL (jobs take URLs; send data URIs to /v1/collections/{name}/items).")]
    [InlineData("""{"urls": ["http://a.example/1.jpg"], "items": []}""", "Give exactly one of 'urls' (an array of image URLs) or 'items' (an array of {\"url\", \"id\", \"metadata\"}).")]
    [InlineData("""{"items": [{"url": "http://a.example/1.jpg", "id": "x"}, {"url": "http://a.example/2.jpg", "id": "x"}]}""", "items[1]: the id 'x' appears twice in this job.")]
    [InlineData("""{"urls": ["http://a.example/1.jpg"], "model": "nope"}""", null)]
    public async Task CreateJob_BadRequest_400WithMessage(string body, string? message)
    {
        using HttpResponseMessage response = await Client.PostAsync("/v1/jobs", new StringContent(body, System.Text.Encoding.UTF8, "application/json")).DefaultTimeout();
        if (message is null) Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        else await ResponseAssert.ErrorAsync(response, HttpStatusCode.BadRequest, message);
    }

    [Fact]
    public async Task Jobs_UnknownCollectionOrJob_404()
    {
        using HttpResponseMessage noCollection = await Client.PostAsJsonAsync("/v1/jobs", new { collection = "no-such-collection", urls = new[] { "http://a.example/1.jpg" } }).DefaultTimeout();
        await ResponseAssert.ErrorAsync(noCollection, HttpStatusCode.NotFound, "No collection named 'no-such-collection'.");
        using HttpResponseMessage noJob = await Client.GetAsync("/v1/jobs/job_nope").DefaultTimeout();
        await ResponseAssert.ErrorAsync(noJob, HttpStatusCode.NotFound, "No job 'job_nope'.");
    }

    private async Task<JsonElement> WaitFinishedAsync(string id)
    {
        for (int i = 0; i < 600; i++)
        {
            JsonElement job = await Client.GetFromJsonAsync<JsonElement>($"/v1/jobs/{id}").DefaultTimeout();
            if (job.GetProperty("state").GetString() is "completed" or "cancelled") return job;
            await Task.Delay(100);
        }
        throw new TimeoutException($"Job {id} did not finish.");
    }
}
