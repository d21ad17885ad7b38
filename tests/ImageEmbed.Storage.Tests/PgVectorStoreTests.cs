using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using ImageEmbed.Models.Embeddings;
using ImageEmbed.Storage.PgVector;
using ImageEmbed.Tests;
using Npgsql;
using Xunit.Abstractions;

namespace ImageEmbed.Storage.Tests;

/// <summary>The store contract, and what is particular to PostgreSQL, against real pgvector (PGlite).</summary>
public sealed class PgVectorStoreTests(PgliteServerFixture server, ITestOutputHelper output) : CollectionStoreContract, IClassFixture<PgliteServerFixture>
{
    protected override async Task<ICollectionStore> OpenStoreAsync()
    {
        server.EnsureRunning();
        return await PgVectorStore.OpenAsync(server.ConnectionString, CancellationToken.None).DefaultTimeout();
    }

    private async Task<PgVectorStore> OpenPgAsync() => (PgVectorStore)await OpenStoreAsync();

    private static string NewName() => "pg" + Guid.NewGuid().ToString("N")[..12];

    private static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();

    [Fact]
    public async Task Kind_IsPgvector()
    {
        await using ICollectionStore store = await OpenStoreAsync();
        Assert.Equal("pgvector", store.Kind);
        output.WriteLine($"server started in {server.StartTime.TotalMilliseconds:F0} ms");
    }

    [Fact]
    public async Task Create_MakesItemsTableWithHnswCosineIndex()
    {
        await using PgVectorStore store = await OpenPgAsync();
        string name = NewName();
        await store.CreateCollectionAsync(name, "m", 8).DefaultTimeout();

        string[] indexes = await QueryAsync(store, "SELECT indexdef FROM pg_indexes WHERE tablename = $1", PgVectorText.TableName(name));

        Assert.Contains(indexes, d => d.Contains("USING hnsw (embedding vector_cosine_ops)", StringComparison.Ordinal));
        Assert.DoesNotContain(name, PgVectorText.TableName(name), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_ItemsTableFromBeforeContentHashes_GainsTheColumnsAndIndex()
    {
        string name = NewName();
        string table = PgVectorText.TableName(name);
        await using (PgVectorStore first = await OpenPgAsync())
        {
            await first.CreateCollectionAsync(name, "m", 4).DefaultTimeout();
            await first.UpsertAsync(name, [new CollectionItem("a", UnitVector(new Random(5), 4), Source: "a.jpg")]).DefaultTimeout();
            // Back to the layout before fingerprints existed.
            await using NpgsqlCommand downgrade = first.DataSource.CreateCommand($"ALTER TABLE {table} DROP COLUMN content_hash, DROP COLUMN phash");
            await downgrade.ExecuteNonQueryAsync().DefaultTimeout();
        }

        await using PgVectorStore store = await OpenPgAsync();
        CollectionItem a = (await store.GetItemAsync(name, "a").DefaultTimeout())!;
        await store.UpsertAsync(name, [new CollectionItem("b", UnitVector(new Random(6), 4), ContentHash: new string('c', 64), PerceptualHash: ulong.MaxValue)]).DefaultTimeout();

        Assert.Equal(("a.jpg", (string?)null), (a.Source, a.ContentHash));
        Assert.Equal(ulong.MaxValue, (await store.GetItemAsync(name, "b").DefaultTimeout())!.PerceptualHash);
        Assert.Contains(await QueryAsync(store, "SELECT indexname::text FROM pg_indexes WHERE tablename = $1", table), i => i.EndsWith("_content_hash", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Delete_DropsItemsTable()
    {
        await using PgVectorStore store = await OpenPgAsync();
        string name = NewName();
        await store.CreateCollectionAsync(name, "m", 8).DefaultTimeout();
        await store.DeleteCollectionAsync(name).DefaultTimeout();

        Assert.Empty(await QueryAsync(store, "SELECT tablename::text FROM pg_tables WHERE tablename = $1", PgVectorText.TableName(name)));
    }

    [Fact]
    public async Task Search_SetsEfSearchForItsOwnTransactionOnly()
    {
        await using PgVectorStore store = await OpenPgAsync();
        string name = NewName();
        await store.CreateCollectionAsync(name, "m", 8).DefaultTimeout();
        var rng = new Random(11);
        await store.UpsertAsync(name, [new CollectionItem("a", UnitVector(rng, 8))]).DefaultTimeout();
        await store.SearchAsync(name, new SearchQuery(UnitVector(rng, 8), 300)).DefaultTimeout();

        // PGlite has one backend for every connection, so a plain SET would still show here.
        Assert.Equal(["40"], await QueryAsync(store, "SELECT current_setting('hnsw.ef_search')"));
        Assert.True(store.IterativeScan);
    }

    [Fact]
    public async Task Search_FewHundredItems_FindsExactTopTen()
    {
        await using PgVectorStore store = await OpenPgAsync();
        string name = NewName();
        await store.CreateCollectionAsync(name, "m", 512).DefaultTimeout();
        var rng = new Random(12);
        CollectionItem[] items = Enumerable.Range(0, 400).Select(i => new CollectionItem($"i{i:D3}", UnitVector(rng, 512), Json($$"""{"even":{{(i % 2 == 0 ? "true" : "false")}}}"""))).ToArray();
        var clock = Stopwatch.StartNew();
        await store.UpsertAsync(name, items).DefaultTimeout();
        output.WriteLine($"upsert of 400 x 512: {clock.ElapsedMilliseconds} ms");

        for (int q = 0; q < 5; q++)
        {
            float[] query = UnitVector(rng, 512);
            clock.Restart();
            IReadOnlyList<SearchHit> hits = await store.SearchAsync(name, new SearchQuery(query, 10)).DefaultTimeout();
            output.WriteLine($"search k=10 over 400 x 512: {clock.Elapsed.TotalMilliseconds:F1} ms");
            Assert.Equal(items.OrderByDescending(i => VectorMath.Cosine(query, i.Vector)).Take(10).Select(i => i.Id), hits.Select(h => h.Id));
        }

        float[] filtered = UnitVector(rng, 512);
        clock.Restart();
        IReadOnlyList<SearchHit> even = await store.SearchAsync(name, new SearchQuery(filtered, 10) { Filter = new Dictionary<string, JsonElement> { ["even"] = Json("true") } }).DefaultTimeout();
        output.WriteLine($"filtered search k=10: {clock.Elapsed.TotalMilliseconds:F1} ms");
        Assert.Equal(
            items.Where((_, i) => i % 2 == 0).OrderByDescending(i => VectorMath.Cosine(filtered, i.Vector)).Take(10).Select(i => i.Id),
            even.Select(h => h.Id));
    }

    [Fact]
    public async Task Filter_ArrayValue_MatchesEqualArraysOnly()
    {
        await using ICollectionStore store = await OpenStoreAsync();
        string name = NewName();
        await store.CreateCollectionAsync(name, "m", 4).DefaultTimeout();
        var rng = new Random(13);
        await store.UpsertAsync(name,
        [
            new CollectionItem("one", UnitVector(rng, 4), Json("""{"tags":["a"]}""")),
            new CollectionItem("two", UnitVector(rng, 4), Json("""{"tags":["a","b"]}""")),
        ]).DefaultTimeout();

        IReadOnlyList<SearchHit> hits = await store.SearchAsync(name,
            new SearchQuery(UnitVector(rng, 4), 10) { Filter = new Dictionary<string, JsonElement> { ["tags"] = Json("""["a"]""") } }).DefaultTimeout();

        Assert.Equal(["one"], hits.Select(h => h.Id));
    }

    [Fact]
    public async Task Upsert_ExtremeFloats_RoundTripExactly()
    {
        await using ICollectionStore store = await OpenStoreAsync();
        string name = NewName();
        float[] vector = [float.MaxValue, float.MinValue, 1e-38f, -0.1f, 1f / 3, 123456.79f, 0f, 1.17549435E-38f];
        await store.CreateCollectionAsync(name, "m", vector.Length).DefaultTimeout();

        await store.UpsertAsync(name, [new CollectionItem("x", vector)]).DefaultTimeout();

        Assert.Equal(vector, (await store.GetItemAsync(name, "x").DefaultTimeout())!.Vector);
    }

    [Fact]
    public async Task Upsert_NaN_IsRefusedAsInvalid()
    {
        await using ICollectionStore store = await OpenStoreAsync();
        string name = NewName();
        await store.CreateCollectionAsync(name, "m", 2).DefaultTimeout();

        await Assert.ThrowsAsync<InvalidStoreRequestException>(() => store.UpsertAsync(name, [new CollectionItem("x", [float.NaN, 1f])])).DefaultTimeout();
    }

    [Fact]
    public async Task Search_QueryOfWrongLength_NamesBothLengths()
    {
        await using ICollectionStore store = await OpenStoreAsync();
        string name = NewName();
        await store.CreateCollectionAsync(name, "m", 16).DefaultTimeout();

        var e = await Assert.ThrowsAsync<InvalidStoreRequestException>(() => store.SearchAsync(name, new SearchQuery(UnitVector(new Random(14), 8), 3))).DefaultTimeout();

        Assert.Contains("16", e.Message, StringComparison.Ordinal);
        Assert.Contains("8", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAll_MoreThanOnePage_YieldsAllInOrderWhileStoreStaysUsable()
    {
        await using ICollectionStore store = await OpenStoreAsync();
        string name = NewName();
        await store.CreateCollectionAsync(name, "m", 4).DefaultTimeout();
        var rng = new Random(15);
        string[] ids = Enumerable.Range(0, 1203).Select(i => $"id-{i:D5}").ToArray();
        await store.UpsertAsync(name, ids.Reverse().Select(id => new CollectionItem(id, UnitVector(rng, 4))).ToArray()).DefaultTimeout();

        var seen = new List<string>();
        await foreach (CollectionItem item in store.ReadAllAsync(name))
        {
            seen.Add(item.Id);
            // With one pooled connection, this would time out if the enumeration held a connection.
            if (seen.Count % 500 == 1) Assert.NotNull(await store.GetItemAsync(name, item.Id).DefaultTimeout());
        }

        Assert.Equal(ids, seen);
    }

    [Fact]
    public async Task Open_PostgresUrl_Connects()
    {
        if (!server.IsPglite) return; // the URL is built for the PGlite fixture
        await using var store = await PgVectorStore.OpenAsync(
            $"postgres://postgres:p%40ss@127.0.0.1:{server.Port}/postgres?sslmode=disable&Maximum%20Pool%20Size=1&timeout=60&no_reset_on_close=true",
            CancellationToken.None).DefaultTimeout();

        Assert.NotNull(await store.ListCollectionsAsync().DefaultTimeout());
    }

    [Fact]
    public async Task Open_NothingListening_NamesHostPortAndSetting()
    {
        int port = FreePort();

        var e = await Assert.ThrowsAsync<PgVectorUnavailableException>(() =>
            PgVectorStore.OpenAsync($"postgres://someone:secret-pw@127.0.0.1:{port}/db?timeout=5", CancellationToken.None)).DefaultTimeout();

        output.WriteLine(e.Message);
        Assert.Contains($"127.0.0.1:{port}", e.Message, StringComparison.Ordinal);
        Assert.Contains("IMAGEEMBED_STORE", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-pw", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Host=localhost;No Such Setting=1")]
    [InlineData("Database=x")]
    [InlineData("postgres://u:p@:5432/db")]
    [InlineData("postgres://u:p@host/db?sslmode=sometimes")]
    public async Task Open_BadConnectionString_NamesSetting(string connectionString)
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() => PgVectorStore.OpenAsync(connectionString, CancellationToken.None)).DefaultTimeout();
        output.WriteLine(e.Message);
        Assert.Contains("IMAGEEMBED_STORE", e.Message, StringComparison.Ordinal);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Runs a query on the store's own data source: PGlite takes one connection, which the store's pool holds.</summary>
    [Fact]
    public async Task Upsert_BulkLoad_AnalyzesTheTableOnceAThousandRowsAreIn()
    {
        await using PgVectorStore store = await OpenPgAsync();
        string name = NewName();
        await store.CreateCollectionAsync(name, "m", 8).DefaultTimeout();
        string table = PgVectorText.TableName(name);
        var rng = new Random(3);
        for (int batch = 0; batch < 4; batch++)
        {
            await store.UpsertAsync(name, Enumerable.Range(0, 300).Select(i => new CollectionItem($"{batch}-{i}", RandomUnit(rng, 8))).ToList()).DefaultTimeout();
            // reltuples is -1 until the first ANALYZE: the planner then guesses the table small and scans every row.
            string tuples = (await QueryAsync(store, "SELECT reltuples::text FROM pg_class WHERE relname = $1", table)).Single();
            Assert.Equal(batch < 3 ? "-1" : "1200", tuples);
        }
        await store.DeleteCollectionAsync(name).DefaultTimeout();
    }

    [Fact]
    public async Task Search_ExactOrMoreCandidates_FindTheTrueNearestNeighbours()
    {
        // Low-structure vectors (uniform on the sphere) are where an HNSW index's default candidate list misses most.
        await using PgVectorStore store = await OpenPgAsync();
        string name = NewName();
        const int dimensions = 64, count = 2000, k = 10;
        await store.CreateCollectionAsync(name, "m", dimensions).DefaultTimeout();
        var rng = new Random(11);
        float[][] vectors = Enumerable.Range(0, count).Select(_ => RandomUnit(rng, dimensions)).ToArray();
        for (int start = 0; start < count; start += 500)
            await store.UpsertAsync(name, Enumerable.Range(start, 500).Select(i => new CollectionItem($"v{i:D5}", vectors[i])).ToList()).DefaultTimeout();

        double defaultRecall = 0, wideRecall = 0;
        const int queries = 20;
        for (int q = 0; q < queries; q++)
        {
            float[] query = RandomUnit(rng, dimensions);
            string[] truth = Enumerable.Range(0, count).OrderByDescending(i => Dot(query, vectors[i])).Take(k).Select(i => $"v{i:D5}").ToArray();

            IReadOnlyList<SearchHit> exact = await store.SearchAsync(name, new SearchQuery(query, k) { Exact = true }).DefaultTimeout();
            Assert.Equal(truth, exact.Select(h => h.Id));
            defaultRecall += Recall(await store.SearchAsync(name, new SearchQuery(query, k)).DefaultTimeout(), truth);
            wideRecall += Recall(await store.SearchAsync(name, new SearchQuery(query, k) { Candidates = 1000 }).DefaultTimeout(), truth);
        }
        output.WriteLine($"recall@{k} over {count} {dimensions}-d uniform vectors: default {defaultRecall / queries:F3}, ef_search 1000 {wideRecall / queries:F3}, exact 1.000");
        Assert.True(wideRecall >= defaultRecall, $"ef_search 1000 found fewer true neighbours ({wideRecall}) than the default ({defaultRecall})");
        Assert.True(wideRecall / queries >= 0.98, $"recall@{k} with ef_search 1000 was {wideRecall / queries:F3}");
        await store.DeleteCollectionAsync(name).DefaultTimeout();

        static double Recall(IReadOnlyList<SearchHit> hits, string[] truth) => hits.Count(h => truth.Contains(h.Id)) / (double)truth.Length;
        static float Dot(float[] a, float[] b) => System.Numerics.Tensors.TensorPrimitives.Dot(a, b);
    }

    [Fact]
    public async Task ContentCache_SharedThroughTheDatabase_FirstPutWinsAndVectorsAreBitExact()
    {
        // Two stores as two nodes would hold them; unpooled, since PGlite answers one connection at a time.
        await using PgVectorStore writer = await PgVectorStore.OpenAsync(server.ConnectionString + ";Pooling=false", CancellationToken.None).DefaultTimeout();
        await using PgVectorStore reader = await PgVectorStore.OpenAsync(server.ConnectionString + ";Pooling=false", CancellationToken.None).DefaultTimeout();
        string hash = Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N");
        var fingerprint = new Imaging.Fingerprint.ImageFingerprint(hash, 0xF00D_CAFE_DEAD_BEEF, [0xFF, 0xD8, 1, 2, 3], 256, 192);
        float[] vector = [0.1f, -0.2f, float.Epsilon, 1f / 3];

        Assert.Null(await reader.GetThumbnailAsync(hash).DefaultTimeout());
        await writer.PutFingerprintAsync(fingerprint).DefaultTimeout();
        await writer.PutFingerprintAsync(fingerprint with { Thumbnail = [9] }).DefaultTimeout();
        await writer.PutEmbeddingAsync("es1-test", hash, vector).DefaultTimeout();

        Imaging.Fingerprint.ImageFingerprint? read = await reader.GetFingerprintAsync(hash).DefaultTimeout();
        Assert.Equal((fingerprint.PerceptualHash, 256, 192), (read!.PerceptualHash, read.ThumbnailWidth, read.ThumbnailHeight));
        Assert.Equal(fingerprint.Thumbnail, read.Thumbnail);
        Assert.Equal(fingerprint.Thumbnail, await reader.GetThumbnailAsync(hash).DefaultTimeout());
        Assert.Equal(vector, await reader.GetEmbeddingAsync("es1-test", hash).DefaultTimeout());
        Assert.Null(await reader.GetEmbeddingAsync("es1-other", hash).DefaultTimeout());
    }

    private static float[] RandomUnit(Random rng, int dimensions)
    {
        float[] v = Enumerable.Range(0, dimensions).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        float norm = MathF.Sqrt(v.Sum(x => x * x));
        return v.Select(x => x / norm).ToArray();
    }

    private static async Task<string[]> QueryAsync(PgVectorStore store, string sql, params object[] args)
    {
        await using NpgsqlCommand cmd = store.DataSource.CreateCommand(sql);
        foreach (object arg in args) cmd.Parameters.Add(new NpgsqlParameter { Value = arg });
        await using NpgsqlDataReader reader = await cmd.ExecuteReaderAsync().DefaultTimeout();
        var rows = new List<string>();
        while (await reader.ReadAsync().DefaultTimeout()) rows.Add(reader.GetString(0));
        return rows.ToArray();
    }
}

/// <summary>The connection-string forms the store accepts, without a server.</summary>
public sealed class PgVectorConnectionStringTests
{
    [Fact]
    public void Url_UserPasswordHostPortDatabase_AreUnescaped()
    {
        NpgsqlConnectionStringBuilder b = PgConnectionString.Parse("postgres://img%40embed:p%3Ass@db.example:6543/vectors?sslmode=require&application_name=ie");
        Assert.Equal(("img@embed", "p:ss", "db.example", 6543, "vectors", SslMode.Require, "ie"),
            (b.Username, b.Password, b.Host, b.Port, b.Database, b.SslMode, b.ApplicationName));
    }

    [Fact]
    public void Url_NoPort_DefaultsTo5432AndIpv6LosesBrackets()
    {
        NpgsqlConnectionStringBuilder b = PgConnectionString.Parse("postgresql://[::1]/db");
        Assert.Equal(("::1", 5432), (b.Host, b.Port));
    }

    [Fact]
    public void Url_NpgsqlKeywords_PassThrough()
    {
        NpgsqlConnectionStringBuilder b = PgConnectionString.Parse("postgres://h/db?Maximum%20Pool%20Size=3&command_timeout=7");
        Assert.Equal((3, 7), (b.MaxPoolSize, b.CommandTimeout));
    }

    [Fact]
    public void KeyValue_IsNpgsqlSyntax()
    {
        NpgsqlConnectionStringBuilder b = PgConnectionString.Parse("Host=h;Port=7;Username=u;Password=p;Database=d");
        Assert.Equal(("h", 7, "u", "d"), (b.Host, b.Port, b.Username, b.Database));
    }
}
