using System.Text.Json;
using ImageEmbed.Models.Embeddings;
using ImageEmbed.Tests;

namespace ImageEmbed.Storage.Tests;

/// <summary>
/// The behaviour every <see cref="ICollectionStore"/> must have. Each store's test class derives from
/// this and says how to open a store over its backing storage; the same storage is reopened to check
/// durability. Collections have unique names per test, so one database can serve a whole class.
/// </summary>
public abstract class CollectionStoreContract
{
    /// <summary>Opens a store over this test class's storage (the same storage every time).</summary>
    protected abstract Task<ICollectionStore> OpenStoreAsync();

    private static string NewName() => "c" + Guid.NewGuid().ToString("N")[..12];

    protected static float[] UnitVector(Random rng, int dimensions)
    {
        float[] v = new float[dimensions];
        for (int i = 0; i < dimensions; i++) v[i] = (float)(rng.NextDouble() * 2 - 1);
        VectorMath.Normalize(v);
        return v;
    }

    private static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();

    [Fact]
    public async Task Collections_CreateGetListDelete()
    {
        await using ICollectionStore store = await OpenStoreAsync();
        string name = NewName();

        CollectionInfo created = await store.CreateCollectionAsync(name, "clip-vit-b32", 16).DefaultTimeout();
        CollectionInfo again = await store.CreateCollectionAsync(name, "clip-vit-b32", 16).DefaultTimeout();

        Assert.Equal((name, "clip-vit-b32", 16, 0L), (created.Name, created.Model, created.Dimensions, created.Count));
        Assert.Equal(created.Created, again.Created);
        Assert.Contains(await store.ListCollectionsAsync().DefaultTimeout(), c => c.Name == name);
        Assert.NotNull(await store.GetCollectionAsync(name).DefaultTimeout());
        Assert.True(await store.DeleteCollectionAsync(name).DefaultTimeout());
        Assert.Null(await store.GetCollectionAsync(name).DefaultTimeout());
        Assert.False(await store.DeleteCollectionAsync(name).DefaultTimeout());
    }

    [Fact]
    public async Task Create_ExistingWithOtherModelOrDimensions_Conflicts()
    {
        await using ICollectionStore store = await OpenStoreAsync();
        string name = NewName();
        await store.CreateCollectionAsync(name, "clip-vit-b32", 16).DefaultTimeout();

        var model = await Assert.ThrowsAsync<CollectionConflictException>(() => store.CreateCollectionAsync(name, "mobilenet-v2-140", 16)).DefaultTimeout();
        Assert.Contains("clip-vit-b32", model.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<CollectionConflictException>(() => store.CreateCollectionAsync(name, "clip-vit-b32", 32)).DefaultTimeout();
    }

    [Fact]
    public async Task Create_SameModelInAnotherEmbeddingSpace_ConflictsNamingBoth()
    {
        string name = NewName();
        await using (ICollectionStore store = await OpenStoreAsync())
        {
            CollectionInfo created = await store.CreateCollectionAsync(name, "clip-vit-b32", 16, "es1-00000000aaaaaaaa").DefaultTimeout();
            Assert.Equal("es1-00000000aaaaaaaa", created.Space);
        }
        await using ICollectionStore reopened = await OpenStoreAsync();
        Assert.Equal("es1-00000000aaaaaaaa", (await reopened.GetCollectionAsync(name).DefaultTimeout())!.Space);
        Assert.Equal("es1-00000000aaaaaaaa", (await reopened.ListCollectionsAsync().DefaultTimeout()).Single(c => c.Name == name).Space);

        var e = await Assert.ThrowsAsync<CollectionConflictException>(() => reopened.CreateCollectionAsync(name, "clip-vit-b32", 16, "es1-00000000bbbbbbbb")).DefaultTimeout();
        Assert.Contains("es1-00000000aaaaaaaa", e.Message, StringComparison.Ordinal);
        Assert.Contains("es1-00000000bbbbbbbb", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-starts-with-dash")]
    [InlineData("has space")]
    [InlineData("semi;colon")]
    [InlineData("a/b")]
    public async Task Create_InvalidName_IsRefused(string name)
    {
        await using ICollectionStore store = await OpenStoreAsync();
        await Assert.ThrowsAsync<InvalidStoreRequestException>(() => store.CreateCollectionAsync(name, "m", 4)).DefaultTimeout();
    }

    [Fact]
    public async Task Upsert_ThenGet_RoundTripsVectorMetadataAndSource()
    {
        await using ICollectionStore store = await OpenStoreAsync();
        string name = NewName();
        await store.CreateCollectionAsync(name, "m", 16).DefaultTimeout();
        float[] vector = UnitVector(new Random(1), 16);

        await store.UpsertAsync(name, [new CollectionItem("photo-1", vector, Json("""{"kind":"cat","n":3,"ok":true}"""), "https://example.com/1.jpg")]).DefaultTimeout();
        CollectionItem? item = await store.GetItemAsync(name, "photo-1").DefaultTimeout();

        Assert.NotNull(item);
        Assert.Equal(vector, item.Vector);
        Assert.True(JsonElement.DeepEquals(Json("""{"kind":"cat","n":3,"ok":true}"""), item.Metadata!.Value));
        Assert.Equal("https://example.com/1.jpg", item.Source);
        Assert.Equal(1, (await store.GetCollectionAsync(name).DefaultTimeout())!.Count);
        Assert.Null(await store.GetItemAsync(name, "nope").DefaultTimeout());
    }

    [Fact]
    public async Task Upsert_ContentAndPerceptualHashes_RoundTripReopenAndReplace()
    {
        string name = NewName();
        var rng = new Random(11);
        string hash = new('a', 63);
        hash += "f";
        // All 64 bits matter: the top bit set is a negative number in SQLite's and PostgreSQL's integers.
        const ulong phash = 0xfedc_ba98_7654_3210UL;
        await using (ICollectionStore store = await OpenStoreAsync())
        {
            await store.CreateCollectionAsync(name, "m", 16).DefaultTimeout();
            await store.UpsertAsync(name, [
                new CollectionItem("img", UnitVector(rng, 16), ContentHash: hash, PerceptualHash: phash),
                new CollectionItem("copy", UnitVector(rng, 16), ContentHash: hash, PerceptualHash: 1),
                new CollectionItem("vec", UnitVector(rng, 16)),
            ]).DefaultTimeout();

            CollectionItem img = (await store.GetItemAsync(name, "img").DefaultTimeout())!;
            Assert.Equal((hash, (ulong?)phash), (img.ContentHash, img.PerceptualHash));
            CollectionItem vec = (await store.GetItemAsync(name, "vec").DefaultTimeout())!;
            Assert.Equal((null, null), (vec.ContentHash, vec.PerceptualHash));
            Assert.Equal(["copy", "img"], await store.FindByContentHashAsync(name, hash).DefaultTimeout());
            Assert.Empty(await store.FindByContentHashAsync(name, new string('0', 64)).DefaultTimeout());
        }

        await using (ICollectionStore reopened = await OpenStoreAsync())
        {
            List<CollectionItem> all = await reopened.ReadAllAsync(name).ToListAsync().AsTask().DefaultTimeout();
            Assert.Equal([(hash, (ulong?)1UL), (hash, phash), (null, null)], all.Select(i => (i.ContentHash, i.PerceptualHash)));

            // Replaced by a vector-only item: the hashes go too (they described the old image).
            await reopened.UpsertAsync(name, [new CollectionItem("img", UnitVector(rng, 16))]).DefaultTimeout();
            Assert.Null((await reopened.GetItemAsync(name, "img").DefaultTimeout())!.ContentHash);
            Assert.Equal(["copy"], await reopened.FindByContentHashAsync(name, hash).DefaultTimeout());
            await Assert.ThrowsAsync<CollectionNotFoundException>(() => reopened.FindByContentHashAsync(NewName(), hash)).DefaultTimeout();
        }
    }

    [Fact]
    public async Task Upsert_SameId_Replaces()
    {
        await using ICollectionStore store = await OpenStoreAsync();
        string name = NewName();
        await store.CreateCollectionAsync(name, "m", 16).DefaultTimeout();
        var rng = new Random(2);
        float[] second = UnitVector(rng, 16);
        await store.UpsertAsync(name, [new CollectionItem("a", UnitVector(rng, 16))]).DefaultTimeout();
        await store.UpsertAsync(name, [new CollectionItem("a", second, Json("""{"v":2}"""))]).DefaultTimeout();

        Assert.Equal(second, (await store.GetItemAsync(name, "a").DefaultTimeout())!.Vector);
        Assert.Equal(1, (await store.GetCollectionAsync(name).DefaultTimeout())!.Count);
    }

    [Fact]
    public async Task Upsert_OneVectorOfWrongLength_StoresNothing()
    {
        await using ICollectionStore store = await OpenStoreAsync();
        string name = NewName();
        await store.CreateCollectionAsync(name, "m", 16).DefaultTimeout();
        var rng = new Random(3);

        var e = await Assert.ThrowsAsync<InvalidStoreRequestException>(() =>
            store.UpsertAsync(name, [new CollectionItem("good", UnitVector(rng, 16)), new CollectionItem("bad", UnitVector(rng, 8))])).DefaultTimeout();

        Assert.Contains("16", e.Message, StringComparison.Ordinal);
        Assert.Null(await store.GetItemAsync(name, "good").DefaultTimeout());
        Assert.Equal(0, (await store.GetCollectionAsync(name).DefaultTimeout())!.Count);
    }

    [Fact]
    public async Task MissingCollection_EveryItemOperation_NotFound()
    {
        await using ICollectionStore store = await OpenStoreAsync();
        string name = NewName();
        float[] v = UnitVector(new Random(4), 4);
        await Assert.ThrowsAsync<CollectionNotFoundException>(() => store.UpsertAsync(name, [new CollectionItem("a", v)])).DefaultTimeout();
        await Assert.ThrowsAsync<CollectionNotFoundException>(() => store.GetItemAsync(name, "a")).DefaultTimeout();
        await Assert.ThrowsAsync<CollectionNotFoundException>(() => store.DeleteItemAsync(name, "a")).DefaultTimeout();
        await Assert.ThrowsAsync<CollectionNotFoundException>(() => store.SearchAsync(name, new SearchQuery(v, 3))).DefaultTimeout();
    }

    [Fact]
    public async Task Search_RanksByCosineWithFiltersLimitsAndExclusions()
    {
        await using ICollectionStore store = await OpenStoreAsync();
        string name = NewName();
        await store.CreateCollectionAsync(name, "m", 32).DefaultTimeout();
        var rng = new Random(5);
        var items = Enumerable.Range(0, 60).Select(i => new CollectionItem($"item-{i:D2}", UnitVector(rng, 32),
            Json($$"""{"group":"{{(i % 3 == 0 ? "a" : "b")}}","rank":{{i % 5}}}"""))).ToList();
        await store.UpsertAsync(name, items).DefaultTimeout();
        float[] query = UnitVector(rng, 32);
        string[] expected = items.OrderByDescending(i => VectorMath.Cosine(query, i.Vector)).Select(i => i.Id).ToArray();

        IReadOnlyList<SearchHit> top = await store.SearchAsync(name, new SearchQuery(query, 5)).DefaultTimeout();
        Assert.Equal(expected[..5], top.Select(h => h.Id));
        for (int i = 0; i < top.Count; i++)
            Assert.Equal(VectorMath.Cosine(query, items.Single(x => x.Id == top[i].Id).Vector), top[i].Score, 4);

        IReadOnlyList<SearchHit> groupA = await store.SearchAsync(name, new SearchQuery(query, 100) { Filter = new Dictionary<string, JsonElement> { ["group"] = Json("\"a\"") } }).DefaultTimeout();
        Assert.Equal(20, groupA.Count);
        Assert.All(groupA, h => Assert.Equal("a", h.Metadata!.Value.GetProperty("group").GetString()));

        IReadOnlyList<SearchHit> rank2 = await store.SearchAsync(name, new SearchQuery(query, 100) { Filter = new Dictionary<string, JsonElement> { ["rank"] = Json("2"), ["group"] = Json("\"b\"") } }).DefaultTimeout();
        Assert.Equal(items.Count(i => int.Parse(i.Id[5..], System.Globalization.CultureInfo.InvariantCulture) is var n && n % 5 == 2 && n % 3 != 0), rank2.Count);

        float threshold = top[2].Score;
        IReadOnlyList<SearchHit> above = await store.SearchAsync(name, new SearchQuery(query, 100) { MinScore = threshold }).DefaultTimeout();
        Assert.Equal(expected[..3], above.Select(h => h.Id));

        IReadOnlyList<SearchHit> excluded = await store.SearchAsync(name, new SearchQuery(query, 3) { Exclude = new HashSet<string> { expected[0] } }).DefaultTimeout();
        Assert.Equal(expected[1..4], excluded.Select(h => h.Id));
    }

    [Fact]
    public async Task DeleteItem_RemovesItFromGetSearchAndReadAll()
    {
        await using ICollectionStore store = await OpenStoreAsync();
        string name = NewName();
        await store.CreateCollectionAsync(name, "m", 8).DefaultTimeout();
        var rng = new Random(6);
        float[] v = UnitVector(rng, 8);
        await store.UpsertAsync(name, [new CollectionItem("x", v), new CollectionItem("y", UnitVector(rng, 8))]).DefaultTimeout();

        Assert.True(await store.DeleteItemAsync(name, "x").DefaultTimeout());
        Assert.False(await store.DeleteItemAsync(name, "x").DefaultTimeout());

        Assert.Null(await store.GetItemAsync(name, "x").DefaultTimeout());
        Assert.DoesNotContain(await store.SearchAsync(name, new SearchQuery(v, 10)).DefaultTimeout(), h => h.Id == "x");
        Assert.Equal(["y"], await store.ReadAllAsync(name).Select(i => i.Id).ToArrayAsync().AsTask().DefaultTimeout());
    }

    [Fact]
    public async Task ReadAll_ReturnsEveryItemInIdOrder()
    {
        await using ICollectionStore store = await OpenStoreAsync();
        string name = NewName();
        await store.CreateCollectionAsync(name, "m", 8).DefaultTimeout();
        var rng = new Random(7);
        string[] ids = ["b", "a", "d", "c"];
        await store.UpsertAsync(name, ids.Select(id => new CollectionItem(id, UnitVector(rng, 8))).ToArray()).DefaultTimeout();

        Assert.Equal(["a", "b", "c", "d"], await store.ReadAllAsync(name).Select(i => i.Id).ToArrayAsync().AsTask().DefaultTimeout());
    }

    [Fact]
    public async Task Reopen_AcknowledgedWritesAreStillThereAndSearchable()
    {
        string name = NewName();
        var rng = new Random(8);
        CollectionItem[] items = Enumerable.Range(0, 25).Select(i => new CollectionItem($"p{i}", UnitVector(rng, 16), Json($$"""{"i":{{i}}}"""))).ToArray();
        await using (ICollectionStore store = await OpenStoreAsync())
        {
            await store.CreateCollectionAsync(name, "m", 16).DefaultTimeout();
            await store.UpsertAsync(name, items).DefaultTimeout();
            await store.DeleteItemAsync(name, "p3").DefaultTimeout();
        }

        await using ICollectionStore reopened = await OpenStoreAsync();
        Assert.Equal(24, (await reopened.GetCollectionAsync(name).DefaultTimeout())!.Count);
        Assert.Null(await reopened.GetItemAsync(name, "p3").DefaultTimeout());
        IReadOnlyList<SearchHit> hits = await reopened.SearchAsync(name, new SearchQuery(items[7].Vector, 1)).DefaultTimeout();
        Assert.Equal("p7", hits[0].Id);
        Assert.Equal(1.0f, hits[0].Score, 4);
    }

    [Fact]
    public async Task Upsert_ConcurrentBatches_AllLand()
    {
        await using ICollectionStore store = await OpenStoreAsync();
        string name = NewName();
        await store.CreateCollectionAsync(name, "m", 8).DefaultTimeout();

        await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(async () =>
        {
            var rng = new Random(100 + t);
            for (int b = 0; b < 5; b++)
                await store.UpsertAsync(name, Enumerable.Range(0, 10).Select(i => new CollectionItem($"t{t}-b{b}-{i}", UnitVector(rng, 8))).ToArray());
        }))).DefaultTimeout();

        Assert.Equal(400, (await store.GetCollectionAsync(name).DefaultTimeout())!.Count);
    }
}
