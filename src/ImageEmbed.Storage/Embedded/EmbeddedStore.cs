using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json;
using ImageEmbed.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace ImageEmbed.Storage.Embedded;

/// <summary>
/// The default store, for one machine: a SQLite file (<c>collections.db</c> in the data folder; WAL,
/// <c>synchronous=FULL</c>) is the record, and every collection is also held in memory for exact
/// search. A write is committed to SQLite first and made visible in memory second, so what a search
/// sees has always been acknowledged durably. One writer at a time; readers never wait on SQLite.
/// With <c>int8</c>, memory holds int8 codes instead of floats (a quarter of the size) and the float
/// vectors are read back from SQLite, through a second connection that only sees committed data, to
/// re-score the best candidates of each search exactly and to answer reads of single items.
/// </summary>
public sealed class EmbeddedStore : ICollectionStore
{
    public const string FileName = "collections.db";

    private readonly SqliteDatabase _db;
    private readonly SqliteDatabase _reader;
    private readonly Lock _readerLock = new();
    private readonly bool _int8;
    private readonly SemaphoreSlim _writer = new(1, 1);
    private readonly ConcurrentDictionary<string, MemoryCollection> _collections = new(StringComparer.Ordinal);

    private EmbeddedStore(SqliteDatabase db, SqliteDatabase reader, bool int8)
    {
        _db = db;
        _reader = reader;
        _int8 = int8;
    }

    public string Kind => _int8 ? "embedded-int8" : "embedded";

    /// <summary>Opens (creating if needed) the store in <paramref name="dataDirectory"/> and loads it into memory.</summary>
    /// <param name="int8">Hold vectors in memory as int8 codes, re-scoring search candidates exactly from the file.</param>
    public static Task<EmbeddedStore> OpenAsync(string dataDirectory, bool int8 = false, CancellationToken ct = default) => Task.Run(() =>
    {
        PrivateFiles.CreateFolder(dataDirectory);
        string path = Path.Combine(dataDirectory, FileName);
        SqliteDatabase db = SqliteDatabase.Open(path);
        SqliteDatabase? reader = null;
        EmbeddedStore? store = null;
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
            // Files made before embedding spaces existed gain the column (empty: unknown space).
            bool hasSpace = false;
            using (SqliteStatement columns = db.Prepare("PRAGMA table_info(collections)"))
                while (columns.Step()) hasSpace |= columns.GetText(1) == "space";
            if (!hasSpace) db.Execute("ALTER TABLE collections ADD COLUMN space TEXT NOT NULL DEFAULT ''");
            // Files made before content fingerprints existed gain the columns (null: not made from an image).
            bool hasContentHash = false;
            using (SqliteStatement columns = db.Prepare("PRAGMA table_info(items)"))
                while (columns.Step()) hasContentHash |= columns.GetText(1) == "content_hash";
            if (!hasContentHash) db.Execute("ALTER TABLE items ADD COLUMN content_hash TEXT; ALTER TABLE items ADD COLUMN phash INTEGER;");
            db.Execute("CREATE INDEX IF NOT EXISTS items_content_hash ON items (collection, content_hash) WHERE content_hash IS NOT NULL");
            reader = SqliteDatabase.Open(path);
            store = new EmbeddedStore(db, reader, int8);
            store.Load(ct);
            return store;
        }
        catch
        {
            db.Dispose();
            reader?.Dispose();
            throw;
        }
    }, ct);

    public async Task<CollectionInfo> CreateCollectionAsync(string name, string model, int dimensions, string space = "", CancellationToken ct = default)
    {
        CollectionNames.Validate(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 1);
        await _writer.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_collections.TryGetValue(name, out MemoryCollection? existing))
                return existing.Model == model && existing.Dimensions == dimensions && existing.Space == space ? existing.Info : throw Conflict(existing, model, dimensions, space);
            var created = NewCollection(name, model, dimensions, DateTimeOffset.UtcNow, space);
            using (SqliteStatement insert = _db.Prepare("INSERT INTO collections (name, model, dimensions, created, space) VALUES (?1, ?2, ?3, ?4, ?5)"))
            {
                insert.Bind(1, name).Bind(2, model).Bind(3, dimensions).Bind(4, created.Created.ToString("O", CultureInfo.InvariantCulture)).Bind(5, space);
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
            _db.InTransaction(() =>
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
        CollectionInfo info = target.Info;
        foreach (CollectionItem item in items)
        {
            info.RequireSpace(item.Space, $"item '{item.Id}'");
            CollectionNames.ValidateId(item.Id);
            CheckLength(target, item.Vector, $"item '{item.Id}'");
            if (item.Metadata is { ValueKind: not (JsonValueKind.Object or JsonValueKind.Null) })
                throw new InvalidStoreRequestException($"Metadata of item '{item.Id}' must be a JSON object.");
        }
        await _writer.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (!_collections.TryGetValue(collection, out MemoryCollection? current) || current != target) throw new CollectionNotFoundException(collection);
            _db.InTransaction(() =>
            {
                using SqliteStatement upsert = _db.Prepare("""
                    INSERT INTO items (collection, id, vector, metadata, source, content_hash, phash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                    ON CONFLICT (collection, id) DO UPDATE SET vector = excluded.vector, metadata = excluded.metadata, source = excluded.source,
                        content_hash = excluded.content_hash, phash = excluded.phash
                    """);
                foreach (CollectionItem item in items)
                {
                    upsert.Bind(1, collection).Bind(2, item.Id).Bind(3, MemoryMarshal.AsBytes(item.Vector.AsSpan()))
                        .Bind(4, item.Metadata is { ValueKind: JsonValueKind.Object } m ? m.GetRawText() : null).Bind(5, item.Source).Bind(6, item.ContentHash);
                    // SQLite integers are signed: the 64 hash bits are stored as they are, read back unchecked.
                    if (item.PerceptualHash is ulong phash) upsert.Bind(7, unchecked((long)phash));
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

    public Task<CollectionItem?> GetItemAsync(string collection, string id, CancellationToken ct = default)
    {
        MemoryCollection target = Find(collection);
        return Task.FromResult(target.Quantized ? ReadItems(collection, "AND id = ?2", id).FirstOrDefault() : target.Get(id));
    }

    public async Task<bool> DeleteItemAsync(string collection, string id, CancellationToken ct = default)
    {
        MemoryCollection target = Find(collection);
        await _writer.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            int changed = 0;
            _db.InTransaction(() =>
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

    public Task<IReadOnlyList<string>> FindByContentHashAsync(string collection, string contentHash, CancellationToken ct = default)
    {
        Find(collection);
        var ids = new List<string>();
        lock (_readerLock)
        {
            using SqliteStatement select = _reader.Prepare("SELECT id FROM items WHERE collection = ?1 AND content_hash = ?2 ORDER BY id");
            select.Bind(1, collection).Bind(2, contentHash);
            while (select.Step()) ids.Add(select.GetText(0)!);
        }
        return Task.FromResult<IReadOnlyList<string>>(ids);
    }

    public async IAsyncEnumerable<CollectionItem> ReadAllAsync(string collection, [EnumeratorCancellation] CancellationToken ct = default)
    {
        MemoryCollection target = Find(collection);
        foreach (CollectionItem item in target.Quantized ? ReadItems(collection, "ORDER BY id", null) : target.Snapshot())
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
        _reader.Dispose();
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

    private static CollectionConflictException Conflict(MemoryCollection existing, string model, int dimensions, string space) =>
        new($"Collection '{existing.Name}' exists for model '{existing.Model}' ({existing.Dimensions}-d, embedding space {Show(existing.Space)}); it cannot also hold '{model}' ({dimensions}-d, embedding space {Show(space)}). Use another name or delete it first.");

    private static string Show(string space) => space.Length > 0 ? space : "unknown";

    private MemoryCollection NewCollection(string name, string model, int dimensions, DateTimeOffset created, string space) =>
        new(name, model, dimensions, created, space, _int8 ? ids => FetchVectors(name, ids) : null);

    /// <summary>Items of a collection read from the file through the reader connection (committed data only).</summary>
    private List<CollectionItem> ReadItems(string collection, string clause, string? id)
    {
        var items = new List<CollectionItem>();
        lock (_readerLock)
        {
            using SqliteStatement select = _reader.Prepare($"SELECT id, vector, metadata, source, content_hash, phash FROM items WHERE collection = ?1 {clause}");
            select.Bind(1, collection);
            if (id is not null) select.Bind(2, id);
            while (select.Step()) items.Add(ReadRow(select));
        }
        return items;
    }

    private Dictionary<string, float[]> FetchVectors(string collection, IReadOnlyList<string> ids)
    {
        var vectors = new Dictionary<string, float[]>(ids.Count, StringComparer.Ordinal);
        lock (_readerLock)
        {
            using SqliteStatement select = _reader.Prepare("SELECT vector FROM items WHERE collection = ?1 AND id = ?2");
            foreach (string id in ids)
            {
                select.Bind(1, collection).Bind(2, id);
                if (select.Step()) vectors[id] = MemoryMarshal.Cast<byte, float>(select.GetBlob(0)).ToArray();
                select.Reset();
            }
        }
        return vectors;
    }

    private static CollectionItem ReadRow(SqliteStatement row) => new(
        row.GetText(0)!,
        MemoryMarshal.Cast<byte, float>(row.GetBlob(1)).ToArray(),
        row.IsNull(2) ? null : JsonDocument.Parse(row.GetText(2)!).RootElement.Clone(),
        row.IsNull(3) ? null : row.GetText(3),
        row.IsNull(4) ? null : row.GetText(4),
        row.IsNull(5) ? null : unchecked((ulong)row.GetInt64(5)));

    private void Load(CancellationToken ct)
    {
        using SqliteStatement collections = _db.Prepare("SELECT name, model, dimensions, created, space FROM collections");
        while (collections.Step())
        {
            MemoryCollection c = NewCollection(collections.GetText(0)!, collections.GetText(1)!, (int)collections.GetInt64(2),
                DateTimeOffset.Parse(collections.GetText(3)!, CultureInfo.InvariantCulture), collections.GetText(4) ?? "");
            _collections[c.Name] = c;
        }
        using SqliteStatement items = _db.Prepare("SELECT id, vector, metadata, source, content_hash, phash FROM items WHERE collection = ?1");
        foreach (MemoryCollection c in _collections.Values)
        {
            ct.ThrowIfCancellationRequested();
            var batch = new List<CollectionItem>();
            items.Bind(1, c.Name);
            while (items.Step())
            {
                batch.Add(ReadRow(items));
                // In chunks: with the int8 layout, the floats are only needed until they are quantized.
                if (batch.Count == 8192) { c.Upsert(batch); batch.Clear(); }
            }
            items.Reset();
            c.Upsert(batch);
        }
    }
}
