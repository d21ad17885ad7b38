using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using ImageEmbed.Imaging.Vips;
using Enums = NetVips.Enums;
using ImageEmbed.Storage.Content;
using ImageEmbed.Tests;

namespace ImageEmbed.Service.Tests;

/// <summary>
/// A service with one collection: five dev photos, and for each a byte-identical copy, a re-encoded copy
/// and a mirror image, plus one item given as a vector.
/// </summary>
public sealed class FingerprintCollectionFixture : IAsyncLifetime
{
    public const string Name = "fp";

    public ServiceServer Service { get; private set; } = null!;
    public string[] Sources { get; } = TestPaths.DevFiles().Where((_, i) => i % 20 == 0).ToArray();

    public static string Id(string file) => Path.GetFileNameWithoutExtension(file);

    public async Task InitializeAsync()
    {
        Service = await ServiceServer.StartAsync();
        using HttpResponseMessage created = await Service.Client.PutAsJsonAsync($"/v1/collections/{Name}", new { model = "default" }).DefaultTimeout();
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        var items = new List<object>();
        foreach (string file in Sources)
        {
            byte[] bytes = File.ReadAllBytes(file);
            using VipsImage image = VipsImage.LoadFromBuffer(bytes, "", out _);
            using VipsImage mirror = image.Flip(Enums.Direction.Horizontal);
            items.Add(new { id = Id(file), image = TestImages.DataUri(bytes) });
            items.Add(new { id = Id(file) + "~same", image = TestImages.DataUri(bytes) });
            items.Add(new { id = Id(file) + "~reencode", image = TestImages.DataUri(image.WriteToBuffer(".jpg[Q=70]")) });
            items.Add(new { id = Id(file) + "~mirror", image = TestImages.DataUri(mirror.WriteToBuffer(".jpg[Q=90]")) });
        }
        using HttpResponseMessage upsert = await Service.Client.PostAsJsonAsync($"/v1/collections/{Name}/items", new { items }).DefaultTimeout();
        Assert.Equal(0, (await upsert.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("failed").GetInt32());
        float[] vector = new float[1792];
        vector[0] = 1;
        using HttpResponseMessage v = await Service.Client.PostAsJsonAsync($"/v1/collections/{Name}/items", new { items = new[] { new { id = "vec", vector } } }).DefaultTimeout();
        Assert.Equal(HttpStatusCode.OK, v.StatusCode);
    }

    public Task DisposeAsync() => Service.DisposeAsync().AsTask();
}

public sealed class DuplicateEndpointTests(FingerprintCollectionFixture fixture) : IClassFixture<FingerprintCollectionFixture>
{
    private readonly HttpClient _client = fixture.Service.Client;
    private const string C = FingerprintCollectionFixture.Name;

    [Fact]
    public async Task Duplicates_Default_CopiesAreExactMirrorsAreSimilarAndPhotosStayApart()
    {
        JsonElement body = await DuplicatesAsync(null);

        Assert.Equal(0.80f, body.GetProperty("threshold").GetSingle()); // mobilenet-v2-140's calibrated default
        Assert.Equal(10, body.GetProperty("phash_distance").GetInt32());
        Assert.Equal("all", body.GetProperty("kind").GetString());
        JsonElement[] groups = body.GetProperty("groups").EnumerateArray().ToArray();
        Assert.Equal(fixture.Sources.Length, groups.Length);
        foreach (JsonElement group in groups)
        {
            string source = group.GetProperty("items").EnumerateArray().Select(e => e.GetString()!).Single(i => !i.Contains('~', StringComparison.Ordinal));
            Assert.Equal([source, source + "~mirror", source + "~reencode", source + "~same"], group.GetProperty("items").EnumerateArray().Select(e => e.GetString()!));
            Dictionary<(string, string), JsonElement> pairs = group.GetProperty("pairs").EnumerateArray().ToDictionary(p => (p.GetProperty("a").GetString()!, p.GetProperty("b").GetString()!));

            JsonElement same = pairs[(source, source + "~same")];
            Assert.Equal(("exact", 0), (same.GetProperty("kind").GetString(), same.GetProperty("phash_distance").GetInt32()));
            Assert.Equal(1f, same.GetProperty("score").GetSingle(), 1e-5f);
            Assert.Equal("exact", pairs[(source, source + "~reencode")].GetProperty("kind").GetString());
            JsonElement mirror = pairs[(source, source + "~mirror")];
            Assert.Equal("similar", mirror.GetProperty("kind").GetString());
            Assert.True(mirror.GetProperty("phash_distance").GetInt32() > 10);
            Assert.True(mirror.GetProperty("score").GetSingle() >= 0.80f);
            // Exact pairs are listed first.
            string[] kinds = group.GetProperty("pairs").EnumerateArray().Select(p => p.GetProperty("kind").GetString()!).ToArray();
            Assert.Equal(kinds.OrderBy(k => k == "exact" ? 0 : 1), kinds);
        }
    }

    [Fact]
    public async Task Duplicates_KindExact_LeavesOutMirrorImages()
    {
        JsonElement groups = (await DuplicatesAsync(new { kind = "exact" })).GetProperty("groups");

        Assert.Equal(fixture.Sources.Length, groups.GetArrayLength());
        Assert.All(groups.EnumerateArray(), g =>
        {
            Assert.Equal(3, g.GetProperty("items").GetArrayLength());
            Assert.DoesNotContain(g.GetProperty("items").EnumerateArray(), i => i.GetString()!.EndsWith("~mirror", StringComparison.Ordinal));
            Assert.All(g.GetProperty("pairs").EnumerateArray(), p => Assert.Equal("exact", p.GetProperty("kind").GetString()));
        });
    }

    [Fact]
    public async Task Duplicates_KindSimilar_OnlyPairsThatAreNotExact()
    {
        JsonElement groups = (await DuplicatesAsync(new { kind = "similar" })).GetProperty("groups");

        Assert.NotEqual(0, groups.GetArrayLength());
        Assert.All(groups.EnumerateArray().SelectMany(g => g.GetProperty("pairs").EnumerateArray()), p =>
        {
            Assert.Equal("similar", p.GetProperty("kind").GetString());
            // Each link is a mirror image against one of the (exact) versions of its photo.
            Assert.Single(new[] { p.GetProperty("a").GetString()!, p.GetProperty("b").GetString()! }, i => i.EndsWith("~mirror", StringComparison.Ordinal));
        });
    }

    [Fact]
    public async Task Duplicates_PhashDistanceZeroAndThresholdOne_OnlyIdenticalPictures()
    {
        JsonElement groups = (await DuplicatesAsync(new { phash_distance = 0, threshold = 1.0 })).GetProperty("groups");

        // Byte-identical copies always; a re-encode only where it left the hash unchanged.
        Assert.Equal(fixture.Sources.Length, groups.GetArrayLength());
        Assert.All(groups.EnumerateArray().SelectMany(g => g.GetProperty("pairs").EnumerateArray()), p => Assert.Equal(0, p.GetProperty("phash_distance").GetInt32()));
    }

    [Theory]
    [InlineData("""{"phash_distance": 65}""", "'phash_distance' must be an integer within 0..64")]
    [InlineData("""{"phash_distance": 2.5}""", "'phash_distance' must be an integer within 0..64")]
    [InlineData("""{"kind": "near"}""", "'kind' must be \"all\", \"exact\" or \"similar\" (was \"near\").")]
    [InlineData("""{"kind": 1}""", "Field 'kind' must be a string.")]
    [InlineData("""{"threshold": 1.5}""", "'threshold' must be a number within 0..1.")]
    public async Task Duplicates_BadOption_400NamingIt(string json, string message)
    {
        using var content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        await ResponseAssert.ErrorAsync(await _client.PostAsync($"/v1/collections/{C}/duplicates", content).DefaultTimeout(), HttpStatusCode.BadRequest, message);
    }

    [Fact]
    public async Task GetItem_ImageItem_HasContentHashAndPhash_VectorItemHasNeither()
    {
        string file = fixture.Sources[0];
        JsonElement item = await _client.GetFromJsonAsync<JsonElement>($"/v1/collections/{C}/items/{FingerprintCollectionFixture.Id(file)}").DefaultTimeout();
        JsonElement vec = await _client.GetFromJsonAsync<JsonElement>($"/v1/collections/{C}/items/vec").DefaultTimeout();

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file))), item.GetProperty("content_hash").GetString());
        Assert.Matches("^[0-9a-f]{16}$", item.GetProperty("phash").GetString()!);
        Assert.Equal(JsonValueKind.Null, vec.GetProperty("content_hash").ValueKind);
        Assert.Equal(JsonValueKind.Null, vec.GetProperty("phash").ValueKind);
    }

    [Fact]
    public async Task Thumbnail_ImageItem_Is256PixelJpegWithContentETag()
    {
        string id = FingerprintCollectionFixture.Id(fixture.Sources[1]);
        using HttpResponseMessage response = await _client.GetAsync($"/v1/collections/{C}/items/{id}/thumbnail").DefaultTimeout();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/jpeg", response.Content.Headers.ContentType?.MediaType);
        byte[] jpeg = await response.Content.ReadAsByteArrayAsync();
        using (VipsImage thumb = VipsImage.LoadFromBuffer(jpeg, "", out string loader))
        {
            Assert.StartsWith("VipsForeignLoadJpeg", loader, StringComparison.Ordinal);
            Assert.Equal(256, Math.Max(thumb.Width, thumb.Height));
        }
        string hash = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(fixture.Sources[1])));
        Assert.Equal($"\"{hash}\"", response.Headers.ETag?.Tag);

        using var again = new HttpRequestMessage(HttpMethod.Get, $"/v1/collections/{C}/items/{id}/thumbnail");
        again.Headers.IfNoneMatch.Add(new EntityTagHeaderValue($"\"{hash}\""));
        using HttpResponseMessage notModified = await _client.SendAsync(again).DefaultTimeout();
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
    }

    [Fact]
    public async Task Thumbnail_VectorItemOrMissingItemOrCollection_404WithErrorBody()
    {
        await ResponseAssert.ErrorAsync(await _client.GetAsync($"/v1/collections/{C}/items/vec/thumbnail").DefaultTimeout(), HttpStatusCode.NotFound, "has no thumbnail");
        await ResponseAssert.ErrorAsync(await _client.GetAsync($"/v1/collections/{C}/items/nope/thumbnail").DefaultTimeout(), HttpStatusCode.NotFound, "No item 'nope'");
        await ResponseAssert.ErrorAsync(await _client.GetAsync("/v1/collections/none/items/x/thumbnail").DefaultTimeout(), HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.Unauthorized, (await fixture.Service.Anonymous.GetAsync($"/v1/collections/{C}/items/vec/thumbnail").DefaultTimeout()).StatusCode);
    }

    [Fact]
    public async Task Upsert_SameBytesAgain_TakesTheCachedEmbeddingBitForBit()
    {
        string file = fixture.Sources[2];
        string id = FingerprintCollectionFixture.Id(file);
        string hash = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file)));
        JsonElement original = await _client.GetFromJsonAsync<JsonElement>($"/v1/collections/{C}/items/{id}").DefaultTimeout();
        string space = (await _client.GetFromJsonAsync<JsonElement>($"/v1/collections/{C}").DefaultTimeout()).GetProperty("embedding_space").GetString()!;
        long embeddedBefore = await ImagesEmbeddedAsync();

        using HttpResponseMessage upsert = await _client.PostAsJsonAsync($"/v1/collections/{C}/items",
            new { items = new[] { new { id = id + "~again", image = TestImages.DataUri(file) } } }).DefaultTimeout();
        JsonElement again = await _client.GetFromJsonAsync<JsonElement>($"/v1/collections/{C}/items/{id}~again").DefaultTimeout();

        Assert.Equal(HttpStatusCode.OK, upsert.StatusCode);
        Assert.Equal(embeddedBefore, await ImagesEmbeddedAsync()); // no inference ran
        Assert.Equal(ResponseAssert.Floats(original.GetProperty("vector")), ResponseAssert.Floats(again.GetProperty("vector")));
        ContentCache cache = fixture.Service.Services.GetRequiredService<ContentCache>();
        Assert.Equal(ResponseAssert.Floats(original.GetProperty("vector")), cache.GetEmbedding(space, hash)!);
        Assert.NotNull(cache.GetThumbnail(hash));
        await _client.DeleteAsync($"/v1/collections/{C}/items/{id}~again").DefaultTimeout();
    }

    private async Task<long> ImagesEmbeddedAsync()
    {
        string metrics = await _client.GetStringAsync("/metrics").DefaultTimeout();
        return long.Parse(metrics.Split('\n').Single(l => l.StartsWith("imageembed_images_embedded_total ", StringComparison.Ordinal)).Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task<JsonElement> DuplicatesAsync(object? body)
    {
        using HttpResponseMessage response = body is null
            ? await _client.PostAsync($"/v1/collections/{C}/duplicates", null).DefaultTimeout()
            : await _client.PostAsJsonAsync($"/v1/collections/{C}/duplicates", body).DefaultTimeout();
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).Clone();
    }
}
