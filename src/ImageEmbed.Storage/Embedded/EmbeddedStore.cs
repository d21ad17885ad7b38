using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json;
using ImageEmbed.Native.Sqlite;

namespace ImageEmbed.Storage.Embedded;

/// <summary>
/// The default store, for one machine: a SQLite file (<c>collections.db</c> in the data folder; WAL,
/// <c>synchronous=FULL</c>) is the record, and every collection is also held in memory for exact
/// search. A write is committed to SQLite first and made visible in memory second, so what a search
/// sees has always been acknowledged durably. One writer at a time; readers never wait on SQLite.
/// </summary>
public sealed class EmbeddedStore : ICollectionStore
{
    public const string FileName = "collections.db";

    private readonly SqliteDatabase _db;
    private readonly SemaphoreSlim _writer = new(1, 1);
    private readonly ConcurrentDictionary<string, MemoryCollection> _collections = new(StringComparer.Ordinal);

    private EmbeddedStore(SqliteDatabase db) => _db = db;

    public string Kind => "embedded";

    /// <summary>Opens (creating if needed) the store in <paramref name="dataDirectory"/> and loads it into memory.</summary>
    public static Task<EmbeddedStore> OpenAsync(string dataDirectory, CancellationToken ct = default) => Task.Run(() =>
    {
        Directory.CreateDirectory(dataDirectory);
        SqliteDatabase db = SqliteDatabase.Open(Path.Combine(dataDirectory, FileName));
        var store = new EmbeddedStore(db);
        try
        {
            db.Execute("""
                CREATE TABLE IF NOT EXISTS collections (
                    name TEXT PRIMARY KEY, model TEXT NOT NULL, dimensions INTEGER NOT NULL, created TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS items (
                    collection TEXT NOT NULL REFERENCES collections(name) ON DELETE CASCADE,
                    id TEXT NOT NULL, vector BLOB NOT NULL, metadata TEXT, source TEXT,
                    PRIMARY KEY (collection, id)) WITHOUT ROWID;
                """);
            store.Load(ct);
            return store;
        }
        catch
        {
            db.Dispose();
            throw;
        }
    }, ct);

    public async Task<CollectionInfo> CreateCollectionAsync(string name, string model, int dimensions, CancellationToken ct = default)
    {
        CollectionNames.Validate(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 1);
        await _writer.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_collections.TryGetValue(name, out MemoryCollection? existing))
                return existing.Model == model && existing.Dimensions == dimensions ? existing.Info : throw Conflict(existing, model, dimensions);
            var created = new MemoryCollection(name, model, dimensions, DateTimeOffset.UtcNow);
            using (SqliteStatement insert = _db.Prepare("INSERT INTO collections (name, model, dimensions, created) VALUES (?1, ?2, ?3, ?4)"))
            {
                insert.Bind(1, name).Bind(2, model).Bind(3, dimensions).Bind(4, created.Created.ToString("O", CultureInfo.InvariantCulture));
                insert.Step();
            }
            _collections[name] = created;
            return created.Info;
        }
        finally
        {
            _writer.Release();
        }
    }

    public Task<CollectionInfo?> GetCollectionAsync(string name, CancellationToken ct = default) =>
        Task.FromResult(_collections.TryGetValue(name, out MemoryCollection? c) ? c.Info : null);

    public Task<IReadOnlyList<CollectionInfo>> ListCollectionsAsync(CancellationToken ct = default) =>
        Task.FromResult<IReadOnlyList<CollectionInfo>>(_collections.Values.Select(c => c.Info).OrderBy(c => c.Name, StringComparer.Ordinal).ToList());

    public async Task<bool> DeleteCollectionAsync(string name, CancellationToken ct = default)
    {
        await _writer.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (!_collections.ContainsKey(name)) return false;
            InTransaction(() =>
            {
                using SqliteStatement delete = _db.Prepare("DELETE FROM collections WHERE name = ?1");
                delete.Bind(1, name).Step();
            });
            _collections.TryRemove(name, out _);
            return true;
        }
        finally
        {
            _writer.Release();
        }
    }

    public async Task UpsertAsync(string collection, IReadOnlyList<CollectionItem> items, CancellationToken ct = default)
    {
        MemoryCollection target = Find(collection);
        foreach (CollectionItem item in items)
        {
            CollectionNames.ValidateId(item.Id);
            CheckLength(target, item.Vector, $"item '{item.Id}'");
            if (item.Metadata is { ValueKind: not (JsonValueKind.Object or JsonValueKind.Null) })
                throw new InvalidStoreRequestException($"Metadata of item '{item.Id}' must be a JSON object.");
        }
        await _writer.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (!_collections.TryGetValue(collection, out MemoryCollection? current) || current != target) throw new CollectionNotFoundException(collection);
            InTransaction(() =>
            {
                using SqliteStatement upsert = _db.Prepare("""
                    INSERT INTO items (collection, id, vector, metadata, source) VALUES (?1, ?2, ?3, ?4, ?5)
                    ON CONFLICT (collection, id) DO UPDATE SET vector = excluded.vector, metadata = excluded.metadata, source = excluded.source
                    """);
                foreach (CollectionItem item in items)
                {
                    upsert.Bind(1, collection).Bind(2, item.Id).Bind(3, MemoryMarshal.AsBytes(item.Vector.AsSpan()))
                        .Bind(4, item.Metadata is { ValueKind: JsonValueKind.Object } m ? m.GetRawText() : null).Bind(5, item.Source);
                    upsert.Step();
                    upsert.Reset();
                }
            });
            target.Upsert(items); // visible only once durable
        }
        finally
        {
            _writer.Release();
        }
    }

    public Task<CollectionItem?> GetItemAsync(string collection, string id, CancellationToken ct = default) =>
        Task.FromResult(Find(collection).Get(id));

    public async Task<bool> DeleteItemAsync(string collection, string id, CancellationToken ct = default)
    {
        MemoryCollection target = Find(collection);
        await _writer.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            int changed = 0;
            InTransaction(() =>
            {
                using SqliteStatement delete = _db.Prepare("DELETE FROM items WHERE collection = ?1 AND id = ?2");
                delete.Bind(1, collection).Bind(2, id).Step();
                changed = _db.Changes;
            });
            target.Remove(id);
            return changed > 0;
        }
        finally
        {
            _writer.Release();
        }
    }

    public Task<IReadOnlyList<SearchHit>> SearchAsync(string collection, SearchQuery query, CancellationToken ct = default)
    {
        MemoryCollection target = Find(collection);
        CheckLength(target, query.Vector, "the query vector");
        if (query.K < 1) throw new InvalidStoreRequestException($"k must be at least 1 (was {query.K}).");
        return Task.FromResult<IReadOnlyList<SearchHit>>(target.Search(query));
    }

    public async IAsyncEnumerable<CollectionItem> ReadAllAsync(string collection, [EnumeratorCancellation] CancellationToken ct = default)
    {
        foreach (CollectionItem item in Find(collection).Snapshot())
        {
            ct.ThrowIfCancellationRequested();
            yield return item;
        }
        await Task.CompletedTask.ConfigureAwait(false);
    }

    public ValueTask DisposeAsync()
    {
        // Let go of the vectors at once, even if a caller still holds this (disposed) store.
        _collections.Clear();
        _db.Dispose();
        _writer.Dispose();
        return ValueTask.CompletedTask;
    }

    private MemoryCollection Find(string name) =>
        _collections.TryGetValue(name, out MemoryCollection? c) ? c : throw new CollectionNotFoundException(name);

    private static void CheckLength(MemoryCollection collection, float[] vector, string what)
    {
        if (vector.Length != collection.Dimensions)
            throw new InvalidStoreRequestException($"Collection '{collection.Name}' holds {collection.Dimensions}-d vectors; {what} has {vector.Length}.");
    }

    private static CollectionConflictException Conflict(MemoryCollection existing, string model, int dimensions) =>
        new($"Collection '{existing.Name}' exists for model '{existing.Model}' ({existing.Dimensions}-d); it cannot also hold '{model}' ({dimensions}-d). Use another name or delete it first.");

    private void InTransaction(Action work)
    {
        _db.Execute("BEGIN IMMEDIATE");
        try
        {
            work();
            _db.Execute("COMMIT");
        }
        catch
        {
            _db.Execute("ROLLBACK");
            throw;
        }
    }

    private void Load(CancellationToken ct)
    {
        using SqliteStatement collections = _db.Prepare("SELECT name, model, dimensions, created FROM collections");
        while (collections.Step())
        {
            var c = new MemoryCollection(collections.GetText(0)!, collections.GetText(1)!, (int)collections.GetInt64(2),
                DateTimeOffset.Parse(collections.GetText(3)!, CultureInfo.InvariantCulture));
            _collections[c.Name] = c;
        }
        using SqliteStatement items = _db.Prepare("SELECT id, vector, metadata, source FROM items WHERE collection = ?1");
        foreach (MemoryCollection c in _collections.Values)
        {
            ct.ThrowIfCancellationRequested();
            var batch = new List<CollectionItem>();
            items.Bind(1, c.Name);
            while (items.Step())
            {
                float[] vector = MemoryMarshal.Cast<byte, float>(items.GetBlob(1)).ToArray();
                JsonElement? metadata = items.IsNull(2) ? null : JsonDocument.Parse(items.GetText(2)!).RootElement.Clone();
                batch.Add(new CollectionItem(items.GetText(0)!, vector, metadata, items.IsNull(3) ? null : items.GetText(3)));
            }
            items.Reset();
            c.Upsert(batch);
        }
    }
}
