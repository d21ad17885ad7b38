using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Pgvector;
using Pgvector.Npgsql;
using Npgsql;

namespace ImageEmbed.Storage.PgVector;

/// <summary>
/// Collections in PostgreSQL with pgvector: a catalog table <c>imageembed_collections</c> and one items
/// table per collection (<c>vector(N)</c>, <c>jsonb</c> metadata, an HNSW cosine index). Many
/// ImageEmbed nodes can share one database. Thread-safe; one <see cref="NpgsqlDataSource"/> owns
/// every connection, and no method holds more than one connection at a time, so a pool of one
/// connection (PGlite) is enough: concurrent calls queue on the pool.
/// </summary>
public sealed partial class PgVectorStore : ICollectionStore
{
    /// <summary>The largest vector pgvector stores.</summary>
    public const int MaxDimensions = 16_000;

    /// <summary>The largest vector an HNSW index over <c>vector</c> takes; longer collections are searched exactly.</summary>
    public const int MaxIndexedDimensions = 2_000;

    internal const string CatalogTable = "imageembed_collections";

    /// <summary>The setting that sizes each node's connection pool.</summary>
    public const string PoolSizeSetting = "IMAGEEMBED_STORE_POOL_SIZE";

    // Items per INSERT statement in an upsert: 500 x 1792 floats is ~10 MB of text per statement.
    private const int UpsertChunk = 500;
    private const int ReadAllPage = 500;
    private const int AnalyzeAfterRows = 1000;

    // hnsw.ef_search bounds: pgvector's default is 40 and its maximum 1000.
    private const int MinEfSearch = 100;
    private const int MaxEfSearch = 1000;

    // The advisory lock that serializes schema setup across nodes starting at once; an arbitrary constant.
    private const long SchemaLockKey = 0x1_3A6E_E3BE_D000;

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _server;
    private readonly int _maxPoolSize;
    private readonly Lock _analyzeLock = new();
    private readonly Dictionary<string, (long Since, long AtLast)> _writtenSinceAnalyze = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _schemaLock = new(1, 1);
    private volatile bool _schemaReady;
    private bool _iterativeScan; // written before _schemaReady is set, read after

    private PgVectorStore(NpgsqlDataSource dataSource, string server, int maxPoolSize)
    {
        _dataSource = dataSource;
        _server = server;
        _maxPoolSize = maxPoolSize;
    }

    public string Kind => "pgvector";

    /// <summary>
    /// Connects, creates the pgvector extension and the catalog table when missing, and returns the
    /// store, which owns the data source it opened (disposed by <see cref="DisposeAsync"/>).
    /// </summary>
    /// <param name="connectionString"><c>postgres://user:pass@host:port/db</c> or an Npgsql <c>key=value;...</c> string.</param>
    /// <exception cref="ArgumentException">The connection string cannot be parsed.</exception>
    /// <exception cref="PgVectorUnavailableException">The server cannot be reached, refuses the login, or lacks pgvector.</exception>
    /// <param name="maxPoolSize">
    /// Most connections this store opens (<see cref="PoolSizeSetting"/>); 0 leaves the connection string's
    /// <c>Maximum Pool Size</c> (Npgsql's default: 100). A connection string that sets a size other than 100 keeps it.
    /// </param>
    public static async Task<PgVectorStore> OpenAsync(string connectionString, CancellationToken ct, int maxPoolSize = 0)
    {
        NpgsqlConnectionStringBuilder settings = PgConnectionString.Parse(connectionString);
        if (maxPoolSize > 0 && settings.MaxPoolSize == new NpgsqlConnectionStringBuilder().MaxPoolSize) settings.MaxPoolSize = maxPoolSize;
        // Vectors travel in pgvector's binary form through the Pgvector type plugin.
        var builder = new NpgsqlDataSourceBuilder(settings.ConnectionString);
        builder.UseVector();
        NpgsqlDataSource dataSource = builder.Build();
        var store = new PgVectorStore(dataSource, PgConnectionString.Describe(settings), settings.MaxPoolSize);
        try
        {
            await store.EnsureSchemaAsync(ct).ConfigureAwait(false);
            return store;
        }
        catch
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Checks a connection string without connecting, so a bad setting fails at start rather than per request.</summary>
    /// <exception cref="ArgumentException">It cannot be parsed; the message says why (never the password).</exception>
    public static void ValidateConnectionString(string connectionString) => PgConnectionString.Parse(connectionString);

    /// <summary>Whether searches use pgvector 0.8's iterative index scans (filtered searches still find K items).</summary>
    internal bool IterativeScan => _iterativeScan;

    internal NpgsqlDataSource DataSource => _dataSource;

    private async Task<CollectionInfo> CreateCollectionOnceAsync(string name, string model, int dimensions, string space, CancellationToken ct)
    {
        CollectionNames.Validate(name);
        if (string.IsNullOrWhiteSpace(model))
            throw new InvalidStoreRequestException("A collection needs a model name.");
        if (dimensions is < 1 or > MaxDimensions)
            throw new InvalidStoreRequestException($"A collection's dimensions must be 1-{MaxDimensions}, not {dimensions}.");
        await EnsureSchemaAsync(ct).ConfigureAwait(false);
        string table = PgVectorText.TableName(name);

        // A concurrent delete can remove the row between ON CONFLICT DO NOTHING and the read; then try again.
        for (int attempt = 0; ; attempt++)
        {
            NpgsqlConnection conn = await OpenConnectionAsync(ct).ConfigureAwait(false);
            await using (conn.ConfigureAwait(false))
            {
                NpgsqlTransaction tx = await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
                await using (tx.ConfigureAwait(false))
                {
                    // A second creator of the same name waits here on the primary key until the first commits.
                    await using (var insert = new NpgsqlCommand(
                        $"INSERT INTO {CatalogTable} (name, model, dimensions, space) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING RETURNING created", conn, tx))
                    {
                        insert.Parameters.Add(new() { Value = name });
                        insert.Parameters.Add(new() { Value = model });
                        insert.Parameters.Add(new() { Value = dimensions });
                        insert.Parameters.Add(new() { Value = space });
                        if (await insert.ExecuteScalarAsync(ct).ConfigureAwait(false) is DateTime created)
                        {
                            await using var ddl = new NpgsqlBatch(conn, tx);
                            foreach (string sql in CreateItemsTableSql(table, dimensions))
                                ddl.BatchCommands.Add(new NpgsqlBatchCommand(sql));
                            await ddl.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                            await tx.CommitAsync(ct).ConfigureAwait(false);
                            return new CollectionInfo(name, model, dimensions, 0, ToOffset(created), space);
                        }
                    }

                    await using var existing = new NpgsqlBatch(conn, tx)
                    {
                        BatchCommands =
                        {
                            new NpgsqlBatchCommand($"SELECT model, dimensions, created, space FROM {CatalogTable} WHERE name = $1 FOR KEY SHARE") { Parameters = { new() { Value = name } } },
                            new NpgsqlBatchCommand($"SELECT count(*) FROM {table}"),
                        },
                    };
                    CollectionInfo? info;
                    try
                    {
                        info = await ReadInfoAsync(existing, name, ct).ConfigureAwait(false);
                    }
                    catch (PostgresException e) when (IsMissingTable(e, table))
                    {
                        info = null; // deleted and dropped since our insert found it
                    }
                    if (info is null)
                    {
                        if (attempt < 3) continue;
                        throw new InvalidOperationException($"Collection '{name}' kept being deleted while it was being created; try again.");
                    }
                    await tx.CommitAsync(ct).ConfigureAwait(false);
                    if (info.Model != model || info.Dimensions != dimensions || info.Space != space)
                        throw new CollectionConflictException(
                            $"Collection '{name}' exists with model '{info.Model}', {info.Dimensions} dimensions and embedding space {(info.Space.Length > 0 ? info.Space : "unknown")}, not model '{model}' with {dimensions} and {(space.Length > 0 ? space : "unknown")}.");
                    return info;
                }
            }
        }
    }

    private static IEnumerable<string> CreateItemsTableSql(string table, int dimensions)
    {
        // COLLATE "C": id order is byte order (ReadAllAsync, keyset paging), whatever the database's locale.
        yield return $"CREATE TABLE {table} (id text COLLATE \"C\" PRIMARY KEY, embedding vector({dimensions}) NOT NULL, metadata jsonb, source text, content_hash text, phash bigint)";
        yield return ContentHashIndexSql(table);
        if (dimensions <= MaxIndexedDimensions)
            yield return $"CREATE INDEX {table}_hnsw ON {table} USING hnsw (embedding vector_cosine_ops)";
        // Lets the planner answer a selective metadata filter exactly (bitmap scan, then sort) instead of
        // post-filtering the HNSW candidates.
        yield return $"CREATE INDEX {table}_metadata ON {table} USING gin (metadata jsonb_path_ops)";
    }

    private static string ContentHashIndexSql(string table) =>
        $"CREATE INDEX IF NOT EXISTS {table}_content_hash ON {table} (content_hash) WHERE content_hash IS NOT NULL";

    private async Task<CollectionInfo?> GetCollectionOnceAsync(string name, CancellationToken ct)
    {
        if (!CouldExist(name)) return null;
        await EnsureSchemaAsync(ct).ConfigureAwait(false);
        NpgsqlConnection conn = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using (conn.ConfigureAwait(false))
        {
            // One round trip; a missing collection has no items table either, so the count fails with 42P01.
            await using var batch = new NpgsqlBatch(conn)
            {
                BatchCommands =
                {
                    new NpgsqlBatchCommand($"SELECT model, dimensions, created, space FROM {CatalogTable} WHERE name = $1") { Parameters = { new() { Value = name } } },
                    new NpgsqlBatchCommand($"SELECT count(*) FROM {PgVectorText.TableName(name)}"),
                },
            };
            try
            {
                return await ReadInfoAsync(batch, name, ct).ConfigureAwait(false);
            }
            catch (PostgresException e) when (IsMissingTable(e, PgVectorText.TableName(name)))
            {
                return null;
            }
        }
    }

    /// <summary>Reads a batch of (catalog row, count) into an info; null when the catalog row is missing.</summary>
    private static async Task<CollectionInfo?> ReadInfoAsync(NpgsqlBatch batch, string name, CancellationToken ct)
    {
        NpgsqlDataReader reader = await batch.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            if (!await reader.ReadAsync(ct).ConfigureAwait(false)) return null;
            string model = reader.GetString(0);
            int dimensions = reader.GetInt32(1);
            DateTime created = reader.GetDateTime(2);
            string space = reader.GetString(3);
            await reader.NextResultAsync(ct).ConfigureAwait(false);
            await reader.ReadAsync(ct).ConfigureAwait(false);
            return new CollectionInfo(name, model, dimensions, reader.GetInt64(0), ToOffset(created), space);
        }
    }

    private async Task<IReadOnlyList<CollectionInfo>> ListCollectionsOnceAsync(CancellationToken ct)
    {
        await EnsureSchemaAsync(ct).ConfigureAwait(false);
        NpgsqlConnection conn = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using (conn.ConfigureAwait(false))
        {
            // A collection deleted between the two round trips fails its count (42P01): list again.
            for (int attempt = 0; ; attempt++)
            {
                var rows = new List<(string Name, string Model, int Dimensions, DateTime Created, string Space)>();
                await using (var list = new NpgsqlCommand($"SELECT name, model, dimensions, created, space FROM {CatalogTable} ORDER BY name", conn))
                {
                    NpgsqlDataReader reader = await list.ExecuteReaderAsync(ct).ConfigureAwait(false);
                    await using (reader.ConfigureAwait(false))
                        while (await reader.ReadAsync(ct).ConfigureAwait(false))
                            rows.Add((reader.GetString(0), reader.GetString(1), reader.GetInt32(2), reader.GetDateTime(3), reader.GetString(4)));
                }
                if (rows.Count == 0) return [];

                await using var counts = new NpgsqlBatch(conn);
                foreach (var row in rows)
                    counts.BatchCommands.Add(new NpgsqlBatchCommand($"SELECT count(*) FROM {PgVectorText.TableName(row.Name)}"));
                try
                {
                    var result = new List<CollectionInfo>(rows.Count);
                    NpgsqlDataReader reader = await counts.ExecuteReaderAsync(ct).ConfigureAwait(false);
                    await using (reader.ConfigureAwait(false))
                    {
                        foreach (var row in rows)
                        {
                            await reader.ReadAsync(ct).ConfigureAwait(false);
                            result.Add(new CollectionInfo(row.Name, row.Model, row.Dimensions, reader.GetInt64(0), ToOffset(row.Created), row.Space));
                            await reader.NextResultAsync(ct).ConfigureAwait(false);
                        }
                    }
                    return result;
                }
                catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable && attempt < 3)
                {
                }
            }
        }
    }

    private async Task<bool> DeleteCollectionOnceAsync(string name, CancellationToken ct)
    {
        if (!CouldExist(name)) return false;
        await EnsureSchemaAsync(ct).ConfigureAwait(false);
        NpgsqlConnection conn = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using (conn.ConfigureAwait(false))
        {
            NpgsqlTransaction tx = await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
            await using (tx.ConfigureAwait(false))
            {
                // Deleting the row waits for upserts holding it FOR KEY SHARE, so none writes into a dropped table.
                await using (var delete = new NpgsqlCommand($"DELETE FROM {CatalogTable} WHERE name = $1", conn, tx))
                {
                    delete.Parameters.Add(new() { Value = name });
                    if (await delete.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 0) return false;
                }
                await using (var drop = new NpgsqlCommand($"DROP TABLE IF EXISTS {PgVectorText.TableName(name)}", conn, tx))
                    await drop.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                await tx.CommitAsync(ct).ConfigureAwait(false);
                return true;
            }
        }
    }

    private async Task UpsertOnceAsync(string collection, IReadOnlyList<CollectionItem> items, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(items);
        // Everything that needs no database is checked first; the last item of a repeated id wins, and
        // rows are written in id order so two overlapping batches lock them in the same order.
        var byId = new Dictionary<string, (Vector Vector, string? Metadata, string? Source, int Length, string? ContentHash, long? Phash)>(items.Count, StringComparer.Ordinal);
        foreach (CollectionItem item in items)
        {
            ArgumentNullException.ThrowIfNull(item);
            CollectionNames.ValidateId(item.Id);
            CheckVector(item.Vector, $"Item '{item.Id}'");
            if (item.Source is not null && item.Source.Contains('\0', StringComparison.Ordinal))
                throw new InvalidStoreRequestException($"Item '{item.Id}' has a source with a NUL character.");
            if (item.ContentHash is not null && item.ContentHash.Contains('\0', StringComparison.Ordinal))
                throw new InvalidStoreRequestException($"Item '{item.Id}' has a content hash with a NUL character.");
            // bigint is signed: the 64 hash bits are stored as they are, read back unchecked.
            byId[item.Id] = (new Vector(item.Vector), MetadataText(item), item.Source, item.Vector.Length, item.ContentHash,
                item.PerceptualHash is ulong phash ? unchecked((long)phash) : null);
        }
        string[] ids = byId.Keys.Order(StringComparer.Ordinal).ToArray();

        if (!CouldExist(collection)) throw new CollectionNotFoundException(collection);
        await EnsureSchemaAsync(ct).ConfigureAwait(false);
        string table = PgVectorText.TableName(collection);
        NpgsqlConnection conn = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using (conn.ConfigureAwait(false))
        {
            NpgsqlTransaction tx = await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
            await using (tx.ConfigureAwait(false))
            {
                // FOR KEY SHARE keeps the collection from being deleted (and its table dropped) until commit.
                int dimensions;
                await using (var shape = new NpgsqlCommand($"SELECT dimensions, model, space FROM {CatalogTable} WHERE name = $1 FOR KEY SHARE", conn, tx))
                {
                    shape.Parameters.Add(new() { Value = collection });
                    await using NpgsqlDataReader reader = await shape.ExecuteReaderAsync(ct).ConfigureAwait(false);
                    if (!await reader.ReadAsync(ct).ConfigureAwait(false)) throw new CollectionNotFoundException(collection);
                    dimensions = reader.GetInt32(0);
                    var info = new CollectionInfo(collection, reader.GetString(1), dimensions, 0, default, reader.GetString(2));
                    foreach (CollectionItem item in items) info.RequireSpace(item.Space, $"item '{item.Id}'");
                }
                foreach (string id in ids)
                    if (byId[id].Length != dimensions)
                        throw new InvalidStoreRequestException(
                            $"Item '{id}' has a vector of {byId[id].Length} values; collection '{collection}' holds vectors of {dimensions}.");

                for (int start = 0; start < ids.Length; start += UpsertChunk)
                {
                    string[] chunk = ids[start..Math.Min(ids.Length, start + UpsertChunk)];
                    await using var upsert = new NpgsqlCommand(
                        $"""
                        INSERT INTO {table} (id, embedding, metadata, source, content_hash, phash)
                        SELECT u.id, u.embedding, u.metadata::jsonb, u.source, u.content_hash, u.phash
                        FROM unnest($1::text[], $2::vector[], $3::text[], $4::text[], $5::text[], $6::bigint[]) AS u(id, embedding, metadata, source, content_hash, phash)
                        ON CONFLICT (id) DO UPDATE SET embedding = excluded.embedding, metadata = excluded.metadata, source = excluded.source,
                            content_hash = excluded.content_hash, phash = excluded.phash
                        """, conn, tx);
                    upsert.Parameters.Add(new() { Value = chunk });
                    upsert.Parameters.Add(new() { Value = chunk.Select(id => byId[id].Vector).ToArray() });
                    upsert.Parameters.Add(new() { Value = chunk.Select(id => byId[id].Metadata).ToArray() });
                    upsert.Parameters.Add(new() { Value = chunk.Select(id => byId[id].Source).ToArray() });
                    upsert.Parameters.Add(new() { Value = chunk.Select(id => byId[id].ContentHash).ToArray() });
                    upsert.Parameters.Add(new() { Value = chunk.Select(id => byId[id].Phash).ToArray() });
                    await upsert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                }
                await tx.CommitAsync(ct).ConfigureAwait(false);
            }
            if (DueForAnalyze(collection, ids.Length))
            {
                // Until a table has statistics the planner guesses it small and scans every row instead of using the
                // HNSW index (5,000 vectors: 24 ms a search instead of 7). Autovacuum would get there, minutes later.
                await using var analyze = new NpgsqlCommand($"ANALYZE {table}", conn);
                await analyze.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Counts rows written per collection on this node and says when to ANALYZE: after the first 1,000, then each time
    /// as many again have been written as the table held at the last ANALYZE, so bulk loads pay O(log n) of them.
    /// </summary>
    private bool DueForAnalyze(string collection, int written)
    {
        lock (_analyzeLock)
        {
            (long since, long atLast) = _writtenSinceAnalyze.TryGetValue(collection, out var state) ? state : (0, 0);
            since += written;
            bool due = since >= Math.Max(AnalyzeAfterRows, atLast);
            _writtenSinceAnalyze[collection] = due ? (0, atLast + since) : (since, atLast);
            return due;
        }
    }

    private static string? MetadataText(CollectionItem item)
    {
        if (item.Metadata is not { } metadata || metadata.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined) return null;
        if (metadata.ValueKind != JsonValueKind.Object)
            throw new InvalidStoreRequestException($"Item '{item.Id}' has metadata that is a JSON {metadata.ValueKind.ToString().ToLowerInvariant()}, not an object.");
        string raw = metadata.GetRawText();
        // jsonb cannot hold U+0000; refuse it here rather than as a server error.
        if (raw.Contains("\\u0000", StringComparison.OrdinalIgnoreCase))
            throw new InvalidStoreRequestException($"Item '{item.Id}' has metadata with a \\u0000 character, which PostgreSQL cannot store.");
        return raw;
    }

    private async Task<CollectionItem?> GetItemOnceAsync(string collection, string id, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (!CouldExist(collection)) throw new CollectionNotFoundException(collection);
        await EnsureSchemaAsync(ct).ConfigureAwait(false);
        string table = PgVectorText.TableName(collection);
        NpgsqlConnection conn = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using (conn.ConfigureAwait(false))
        {
            if (!CouldBeStored(id))
                return await ReadDimensionsAsync(conn, null, collection, "", ct).ConfigureAwait(false) is null
                    ? throw new CollectionNotFoundException(collection) : null;

            await using var get = new NpgsqlCommand($"SELECT id, embedding, metadata::text, source, content_hash, phash FROM {table} WHERE id = $1", conn);
            get.Parameters.Add(new() { Value = id });
            try
            {
                NpgsqlDataReader reader = await get.ExecuteReaderAsync(ct).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                    return await reader.ReadAsync(ct).ConfigureAwait(false) ? ReadItem(reader) : null;
            }
            catch (PostgresException e) when (IsMissingTable(e, table))
            {
                throw new CollectionNotFoundException(collection);
            }
        }
    }

    private async Task<bool> DeleteItemOnceAsync(string collection, string id, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (!CouldExist(collection)) throw new CollectionNotFoundException(collection);
        await EnsureSchemaAsync(ct).ConfigureAwait(false);
        string table = PgVectorText.TableName(collection);
        NpgsqlConnection conn = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using (conn.ConfigureAwait(false))
        {
            if (!CouldBeStored(id))
                return await ReadDimensionsAsync(conn, null, collection, "", ct).ConfigureAwait(false) is null
                    ? throw new CollectionNotFoundException(collection) : false;

            await using var delete = new NpgsqlCommand($"DELETE FROM {table} WHERE id = $1", conn);
            delete.Parameters.Add(new() { Value = id });
            try
            {
                return await delete.ExecuteNonQueryAsync(ct).ConfigureAwait(false) > 0;
            }
            catch (PostgresException e) when (IsMissingTable(e, table))
            {
                throw new CollectionNotFoundException(collection);
            }
        }
    }

    private async Task<IReadOnlyList<SearchHit>> SearchOnceAsync(string collection, SearchQuery query, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(query);
        CheckVector(query.Vector, "The query");
        if (query.K < 1)
            throw new InvalidStoreRequestException($"K must be at least 1, not {query.K}.");
        string? filter = FilterJson(query.Filter, out List<(string Key, string Value)> exact);
        string[] exclude = query.Exclude is { Count: > 0 } ex ? ex.ToArray() : [];

        if (!CouldExist(collection)) throw new CollectionNotFoundException(collection);
        await EnsureSchemaAsync(ct).ConfigureAwait(false);
        string table = PgVectorText.TableName(collection);
        NpgsqlConnection conn = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using (conn.ConfigureAwait(false))
        {
            int dimensions = await ReadDimensionsAsync(conn, null, collection, "", ct).ConfigureAwait(false)
                ?? throw new CollectionNotFoundException(collection);
            if (query.Vector.Length != dimensions)
                throw new InvalidStoreRequestException(
                    $"The query vector has {query.Vector.Length} values; collection '{collection}' holds vectors of {dimensions}.");

            var search = new NpgsqlBatchCommand();
            search.Parameters.Add(new() { Value = new Vector(query.Vector) });
            search.Parameters.Add(new() { Value = query.K });
            var sql = new StringBuilder($"SELECT id, embedding <=> $1::vector AS distance, metadata::text, source FROM {table}");
            string and = " WHERE ";
            if (filter is not null)
            {
                search.Parameters.Add(new() { Value = filter });
                sql.Append(CultureInfo.InvariantCulture, $"{and}metadata @> ${search.Parameters.Count}::jsonb");
                and = " AND ";
            }
            // @> is containment: for an array or object value, also require the value to be equal.
            foreach ((string key, string value) in exact)
            {
                search.Parameters.Add(new() { Value = key });
                search.Parameters.Add(new() { Value = value });
                sql.Append(CultureInfo.InvariantCulture, $"{and}metadata -> ${search.Parameters.Count - 1} = ${search.Parameters.Count}::jsonb");
                and = " AND ";
            }
            if (exclude.Length > 0)
            {
                search.Parameters.Add(new() { Value = exclude });
                sql.Append(CultureInfo.InvariantCulture, $"{and}id <> ALL(${search.Parameters.Count}::text[])");
            }
            // Exact: an ORDER BY that is not the bare distance operator cannot be answered by the HNSW index, so every
            // row is compared.
            sql.Append(query.Exact ? " ORDER BY (embedding <=> $1::vector) + 0 LIMIT $2" : " ORDER BY distance LIMIT $2");
            search.CommandText = sql.ToString();

            // HNSW is approximate: a candidate list of at least max(100, 2K) makes small collections exact
            // and keeps recall high on large ones. set_config(..., true) is SET LOCAL: a batch runs in one
            // implicit transaction, so the settings end with it and never leak to the pooled connection
            // (on PGlite, to the one backend every connection shares). pgvector 0.8's iterative scan keeps
            // looking past the candidate list when filters or exclusions drop candidates.
            // A request may ask for more candidates: higher recall, more work.
            int ef = Math.Clamp(Math.Max(Math.Max(2 * query.K, query.K + exclude.Length), query.Candidates ?? 0), MinEfSearch, MaxEfSearch);
            await using var batch = new NpgsqlBatch(conn)
            {
                BatchCommands =
                {
                    new NpgsqlBatchCommand(_iterativeScan
                        ? "SELECT set_config('hnsw.ef_search', $1, true), set_config('hnsw.iterative_scan', 'strict_order', true)"
                        : "SELECT set_config('hnsw.ef_search', $1, true)")
                    { Parameters = { new() { Value = ef.ToString(CultureInfo.InvariantCulture) } } },
                    search,
                },
            };

            var hits = new List<SearchHit>(Math.Min(query.K, 1024));
            try
            {
                NpgsqlDataReader reader = await batch.ExecuteReaderAsync(ct).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    await reader.NextResultAsync(ct).ConfigureAwait(false);
                    while (await reader.ReadAsync(ct).ConfigureAwait(false))
                    {
                        // Rows come best first, so the first one under MinScore ends the list. The float
                        // comparison matches the scores returned, so a threshold taken from a hit keeps it.
                        float score = (float)(1.0 - reader.GetDouble(1));
                        if (query.MinScore is { } min && score < min) break;
                        hits.Add(new SearchHit(reader.GetString(0), score, ReadMetadata(reader, 2), reader.IsDBNull(3) ? null : reader.GetString(3)));
                    }
                }
            }
            catch (PostgresException e) when (IsMissingTable(e, table))
            {
                throw new CollectionNotFoundException(collection);
            }
            return hits;
        }
    }

    /// <summary>The filter as one JSON object for <c>@&gt;</c>, and the keys whose values are arrays or objects.</summary>
    private static string? FilterJson(IReadOnlyDictionary<string, JsonElement>? filter, out List<(string Key, string Value)> exact)
    {
        exact = [];
        if (filter is not { Count: > 0 }) return null;
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach ((string key, JsonElement value) in filter)
            {
                if (value.ValueKind == JsonValueKind.Undefined)
                    throw new InvalidStoreRequestException($"The filter on '{key}' has no value.");
                writer.WritePropertyName(key);
                value.WriteTo(writer);
                if (value.ValueKind is JsonValueKind.Array or JsonValueKind.Object)
                    exact.Add((key, value.GetRawText()));
            }
            writer.WriteEndObject();
        }
        string json = Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        if (json.Contains("\\u0000", StringComparison.OrdinalIgnoreCase))
            throw new InvalidStoreRequestException("The filter has a \\u0000 character, which PostgreSQL cannot store or match.");
        return json;
    }

    public async IAsyncEnumerable<CollectionItem> ReadAllAsync(string collection, [EnumeratorCancellation] CancellationToken ct = default)
    {
        if (!CouldExist(collection)) throw new CollectionNotFoundException(collection);
        await RetryOnceAsync(async () => { await EnsureSchemaAsync(ct).ConfigureAwait(false); return true; }).ConfigureAwait(false);
        string table = PgVectorText.TableName(collection);
        // Keyset pages, each read whole on a connection that is returned before any item is yielded:
        // the caller may use the store while enumerating (with a pool of one, a held connection would
        // deadlock it), and a large collection is never one long-running statement. Items written
        // during the enumeration may or may not appear.
        string? after = null;
        while (true)
        {
            string? from = after;
            List<CollectionItem> page = await RetryOnceAsync(() => ReadPageOnceAsync(collection, table, from, ct)).ConfigureAwait(false);
            foreach (CollectionItem item in page)
                yield return item;
            if (page.Count < ReadAllPage) yield break;
            after = page[^1].Id;
        }
    }

    /// <summary>One keyset page of <see cref="ReadAllAsync"/>, read whole on a connection returned before it is used.</summary>
    private async Task<List<CollectionItem>> ReadPageOnceAsync(string collection, string table, string? after, CancellationToken ct)
    {
        var page = new List<CollectionItem>(ReadAllPage);
        NpgsqlConnection conn = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using (conn.ConfigureAwait(false))
        {
            await using var read = new NpgsqlCommand(after is null
                ? $"SELECT id, embedding, metadata::text, source, content_hash, phash FROM {table} ORDER BY id LIMIT {ReadAllPage}"
                : $"SELECT id, embedding, metadata::text, source, content_hash, phash FROM {table} WHERE id > $1 ORDER BY id LIMIT {ReadAllPage}", conn);
            if (after is not null) read.Parameters.Add(new() { Value = after });
            try
            {
                NpgsqlDataReader reader = await read.ExecuteReaderAsync(ct).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                    while (await reader.ReadAsync(ct).ConfigureAwait(false))
                        page.Add(ReadItem(reader));
            }
            catch (PostgresException e) when (IsMissingTable(e, table))
            {
                throw new CollectionNotFoundException(collection);
            }
        }
        return page;
    }

    private async Task<IReadOnlyList<string>> FindByContentHashOnceAsync(string collection, string contentHash, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(contentHash);
        if (!CouldExist(collection)) throw new CollectionNotFoundException(collection);
        await EnsureSchemaAsync(ct).ConfigureAwait(false);
        string table = PgVectorText.TableName(collection);
        var ids = new List<string>();
        if (contentHash.Contains('\0', StringComparison.Ordinal)) return ids; // never stored
        NpgsqlConnection conn = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using (conn.ConfigureAwait(false))
        {
            await using var find = new NpgsqlCommand($"SELECT id FROM {table} WHERE content_hash = $1 ORDER BY id", conn);
            find.Parameters.Add(new() { Value = contentHash });
            try
            {
                NpgsqlDataReader reader = await find.ExecuteReaderAsync(ct).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                    while (await reader.ReadAsync(ct).ConfigureAwait(false)) ids.Add(reader.GetString(0));
            }
            catch (PostgresException e) when (IsMissingTable(e, table))
            {
                throw new CollectionNotFoundException(collection);
            }
        }
        return ids;
    }

    public async ValueTask DisposeAsync()
    {
        await _dataSource.DisposeAsync().ConfigureAwait(false);
        _schemaLock.Dispose();
    }

    // ---- helpers ------------------------------------------------------------------------------

    /// <summary>The collection's dimensions, or null when there is no such collection.</summary>
    private static async Task<int?> ReadDimensionsAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string collection, string locking, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"SELECT dimensions FROM {CatalogTable} WHERE name = $1 {locking}", conn, tx);
        cmd.Parameters.Add(new() { Value = collection });
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) is int d ? d : null;
    }

    private static bool IsMissingTable(PostgresException e, string table) =>
        e.SqlState == PostgresErrorCodes.UndefinedTable && e.MessageText.Contains(table, StringComparison.Ordinal);

    /// <summary>
    /// Names refused by <see cref="CollectionNames.Validate"/> were never created: no need to ask, and
    /// PostgreSQL would fail on a NUL rather than answer "no such collection".
    /// </summary>
    private static bool CouldExist(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        try
        {
            CollectionNames.Validate(name);
            return true;
        }
        catch (InvalidStoreRequestException)
        {
            return false;
        }
    }

    /// <summary>Ids refused by <see cref="CollectionNames.ValidateId"/> were never stored; asking PostgreSQL about a NUL would fail.</summary>
    private static bool CouldBeStored(string id) =>
        id.Length is > 0 and <= CollectionNames.MaxIdLength && !id.Any(char.IsControl);

    private static void CheckVector(float[]? vector, string what)
    {
        if (vector is null || vector.Length == 0)
            throw new InvalidStoreRequestException($"{what} has no vector.");
        foreach (float f in vector)
            if (!float.IsFinite(f))
                throw new InvalidStoreRequestException($"{what} has a vector with NaN or infinity.");
    }

    private static CollectionItem ReadItem(NpgsqlDataReader reader) =>
        new(reader.GetString(0), reader.GetFieldValue<Vector>(1).ToArray(), ReadMetadata(reader, 2), reader.IsDBNull(3) ? null : reader.GetString(3),
            reader.IsDBNull(4) ? null : reader.GetString(4), reader.IsDBNull(5) ? null : unchecked((ulong)reader.GetInt64(5)));

    private static JsonElement? ReadMetadata(NpgsqlDataReader reader, int ordinal)
    {
        if (reader.IsDBNull(ordinal)) return null;
        using JsonDocument doc = JsonDocument.Parse(reader.GetString(ordinal));
        return doc.RootElement.Clone();
    }

    // timestamptz arrives as a UTC DateTime.
    private static DateTimeOffset ToOffset(DateTime utc) => new(DateTime.SpecifyKind(utc, DateTimeKind.Utc));
}
