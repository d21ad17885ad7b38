using ImageEmbed.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using ImageEmbed.Storage.Embedded;
using ImageEmbed.Tests;

namespace ImageEmbed.Storage.Tests;

/// <summary>The shared contract over the embedded store: a real SQLite file in a temp folder.</summary>
public sealed class EmbeddedStoreTests : CollectionStoreContract, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("imageembed-store-").FullName;

    protected override async Task<ICollectionStore> OpenStoreAsync() => await EmbeddedStore.OpenAsync(_dir);

    [Fact]
    public async Task Open_FileFromBeforeContentHashes_GainsTheColumnsAndKeepsItems()
    {
        // The items table as it was before fingerprints: no content_hash, no phash.
        using (SqliteDatabase old = SqliteDatabase.Open(Path.Combine(_dir, EmbeddedStore.FileName)))
        {
            old.Execute("""
                CREATE TABLE collections (name TEXT PRIMARY KEY, model TEXT NOT NULL, dimensions INTEGER NOT NULL, created TEXT NOT NULL, space TEXT NOT NULL DEFAULT '');
                CREATE TABLE items (collection TEXT NOT NULL REFERENCES collections(name) ON DELETE CASCADE,
                    id TEXT NOT NULL, vector BLOB NOT NULL, metadata TEXT, source TEXT, PRIMARY KEY (collection, id)) WITHOUT ROWID;
                INSERT INTO collections VALUES ('old', 'm', 1, '2026-01-01T00:00:00.0000000+00:00', '');
                INSERT INTO items VALUES ('old', 'a', X'0000803F', NULL, 'a.jpg');
                """);
        }

        await using ICollectionStore store = await OpenStoreAsync();

        CollectionItem a = (await store.GetItemAsync("old", "a").DefaultTimeout())!;
        Assert.Equal([1f], a.Vector);
        Assert.Equal(("a.jpg", (string?)null, (ulong?)null), (a.Source, a.ContentHash, a.PerceptualHash));
        await store.UpsertAsync("old", [new CollectionItem("b", [1f], ContentHash: new string('b', 64), PerceptualHash: 7)]).DefaultTimeout();
        Assert.Equal(7UL, (await store.GetItemAsync("old", "b").DefaultTimeout())!.PerceptualHash);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}

/// <summary>The shared contract over the embedded store's int8 layout (exact re-scoring from the file).</summary>
public sealed class EmbeddedInt8StoreTests : CollectionStoreContract, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("imageembed-store-int8-").FullName;

    protected override async Task<ICollectionStore> OpenStoreAsync() => await EmbeddedStore.OpenAsync(_dir, int8: true);

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
