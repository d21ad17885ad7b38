using System.Globalization;
using System.Net.Sockets;
using Npgsql;

namespace ImageEmbed.Storage.PgVector;

// Schema setup and connections: what happens once per store, and what turns a failure to reach the
// server into an error that names it and the setting to fix.
public sealed partial class PgVectorStore
{
    private ValueTask EnsureSchemaAsync(CancellationToken ct) => _schemaReady ? ValueTask.CompletedTask : SetUpSchemaAsync(ct);

    private async ValueTask SetUpSchemaAsync(CancellationToken ct)
    {
        await _schemaLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_schemaReady) return;
            NpgsqlConnection conn = await OpenConnectionAsync(ct).ConfigureAwait(false);
            await using (conn.ConfigureAwait(false))
            {
                NpgsqlTransaction tx = await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
                await using (tx.ConfigureAwait(false))
                {
                    // The advisory lock makes nodes starting together take turns: concurrent
                    // CREATE ... IF NOT EXISTS can otherwise fail on a unique index in the system catalogs.
                    await using var setup = new NpgsqlBatch(conn, tx)
                    {
                        BatchCommands =
                        {
                            new NpgsqlBatchCommand($"SELECT pg_advisory_xact_lock({SchemaLockKey})"),
                            new NpgsqlBatchCommand("CREATE EXTENSION IF NOT EXISTS vector"),
                            new NpgsqlBatchCommand(
                                $"""
                                CREATE TABLE IF NOT EXISTS {CatalogTable} (
                                    name text COLLATE "C" PRIMARY KEY,
                                    model text NOT NULL,
                                    dimensions integer NOT NULL CHECK (dimensions > 0),
                                    created timestamptz NOT NULL DEFAULT now())
                                """),
                            // Catalogs made before embedding spaces existed gain the column (empty: unknown).
                            new NpgsqlBatchCommand($"ALTER TABLE {CatalogTable} ADD COLUMN IF NOT EXISTS space text NOT NULL DEFAULT ''"),
                        },
                    };
                    foreach (string sql in CreateContentCacheSql()) setup.BatchCommands.Add(new NpgsqlBatchCommand(sql));
                    string version;
                    try
                    {
                        await setup.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                        version = await ReadExtensionVersionAsync(conn, tx, ct).ConfigureAwait(false);
                        await AddFingerprintColumnsAsync(conn, tx, ct).ConfigureAwait(false);
                    }
                    catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.FeatureNotSupported or PostgresErrorCodes.UndefinedFile
                                                      or PostgresErrorCodes.InsufficientPrivilege)
                    {
                        throw new PgVectorUnavailableException(
                            $"PostgreSQL at {_server} cannot provide pgvector ({e.MessageText}). Install the pgvector extension on the server, " +
                            $"or have a superuser run CREATE EXTENSION vector in that database; the server is set by {PgConnectionString.Setting}.", e);
                    }
                    await tx.CommitAsync(ct).ConfigureAwait(false);
                    _iterativeScan = AtLeast(version, 0, 8);
                }
            }
            // The extension may have just been created: connections opened from now on learn the vector type.
            await _dataSource.ReloadTypesAsync(ct).ConfigureAwait(false);
            _schemaReady = true;
        }
        finally
        {
            _schemaLock.Release();
        }
    }

    /// <summary>
    /// Items tables made before content fingerprints existed gain <c>content_hash</c> and <c>phash</c> (null:
    /// not made from an image) and the hash index. Only tables that lack the column are altered, so a
    /// node starting beside busy ones takes no table lock once every table is current.
    /// </summary>
    private static async Task AddFingerprintColumnsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken ct)
    {
        var stale = new List<string>();
        await using (var find = new NpgsqlCommand(
            $"""
            SELECT c.name FROM {CatalogTable} c
            WHERE NOT EXISTS (SELECT 1 FROM information_schema.columns k
                              WHERE k.table_schema = current_schema() AND k.table_name = $1 || left(encode(sha256(convert_to(c.name, 'UTF8')), 'hex'), 32)
                                AND k.column_name = 'content_hash')
            """, conn, tx))
        {
            find.Parameters.Add(new() { Value = "ie_items_" });
            NpgsqlDataReader reader = await find.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
                while (await reader.ReadAsync(ct).ConfigureAwait(false)) stale.Add(reader.GetString(0));
        }
        if (stale.Count == 0) return;
        await using var alter = new NpgsqlBatch(conn, tx);
        foreach (string name in stale)
        {
            string table = PgVectorText.TableName(name);
            alter.BatchCommands.Add(new NpgsqlBatchCommand($"ALTER TABLE IF EXISTS {table} ADD COLUMN IF NOT EXISTS content_hash text, ADD COLUMN IF NOT EXISTS phash bigint"));
        }
        await alter.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        await using var index = new NpgsqlBatch(conn, tx);
        foreach (string name in stale)
        {
            string table = PgVectorText.TableName(name);
            index.BatchCommands.Add(new NpgsqlBatchCommand($"DO $$ BEGIN IF to_regclass('{table}') IS NOT NULL THEN EXECUTE '{ContentHashIndexSql(table)}'; END IF; END $$"));
        }
        await index.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static async Task<string> ReadExtensionVersionAsync(NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT extversion FROM pg_extension WHERE extname = 'vector'", conn, tx);
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) as string ?? "";
    }

    private static bool AtLeast(string version, int major, int minor)
    {
        string[] parts = version.Split('.');
        return parts.Length >= 2
               && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int ma)
               && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int mi)
               && (ma > major || (ma == major && mi >= minor));
    }

    /// <summary>Opens a pooled connection; a failure to reach or log in to the server names it and the setting.</summary>
    private async Task<NpgsqlConnection> OpenConnectionAsync(CancellationToken ct)
    {
        try
        {
            return await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification)
        {
            throw new PgVectorUnavailableException(
                $"PostgreSQL at {_server} refused the login ({e.MessageText}); check the user and password in {PgConnectionString.Setting}.", e);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InvalidCatalogName)
        {
            throw new PgVectorUnavailableException(
                $"PostgreSQL at {_server} has no such database ({e.MessageText}); check the database name in {PgConnectionString.Setting}.", e);
        }
        catch (NpgsqlException e) when (e is not PostgresException && !IsPoolExhausted(e) && IsConnectFailure(e))
        {
            throw new PgVectorUnavailableException(
                $"Could not connect to PostgreSQL at {_server}: {Innermost(e).Message}. Check that the server is running and reachable, " +
                $"and the host and port in {PgConnectionString.Setting}.", e);
        }
    }

    private static bool IsConnectFailure(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
            if (x is SocketException or TimeoutException or IOException) return true;
        return false;
    }

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e;
    }
}
