using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Npgsql;

namespace ImageEmbed.Storage.PgVector;

// What a store shared by several nodes meets at run time: PostgreSQL restarting or going away, and
// connections running out. Every public operation runs through here, so each such failure becomes a
// PgVectorUnavailableException (503 with Retry-After, naming the server and the setting) instead of a
// bare provider error, and a connection that died with a restart is replaced rather than failing a request.
public sealed partial class PgVectorStore
{
    public Task<CollectionInfo> CreateCollectionAsync(string name, string model, int dimensions, string space = "", CancellationToken ct = default) =>
        RetryOnceAsync(() => CreateCollectionOnceAsync(name, model, dimensions, space, ct)); // ON CONFLICT DO NOTHING: safe to repeat

    public Task<CollectionInfo?> GetCollectionAsync(string name, CancellationToken ct = default) =>
        RetryOnceAsync(() => GetCollectionOnceAsync(name, ct));

    public Task<IReadOnlyList<CollectionInfo>> ListCollectionsAsync(CancellationToken ct = default) =>
        RetryOnceAsync(() => ListCollectionsOnceAsync(ct));

    // Not repeated: a delete that committed before its connection died would answer "not found" the second time.
    public Task<bool> DeleteCollectionAsync(string name, CancellationToken ct = default) =>
        GuardAsync(() => DeleteCollectionOnceAsync(name, ct));

    public Task UpsertAsync(string collection, IReadOnlyList<CollectionItem> items, CancellationToken ct = default) =>
        RetryOnceAsync(async () => { await UpsertOnceAsync(collection, items, ct).ConfigureAwait(false); return true; }); // by id: safe to repeat

    public Task<CollectionItem?> GetItemAsync(string collection, string id, CancellationToken ct = default) =>
        RetryOnceAsync(() => GetItemOnceAsync(collection, id, ct));

    public Task<bool> DeleteItemAsync(string collection, string id, CancellationToken ct = default) =>
        GuardAsync(() => DeleteItemOnceAsync(collection, id, ct));

    public Task<IReadOnlyList<SearchHit>> SearchAsync(string collection, SearchQuery query, CancellationToken ct = default) =>
        RetryOnceAsync(() => SearchOnceAsync(collection, query, ct));

    public Task<IReadOnlyList<string>> FindByContentHashAsync(string collection, string contentHash, CancellationToken ct = default) =>
        RetryOnceAsync(() => FindByContentHashOnceAsync(collection, contentHash, ct));

    /// <summary>
    /// One round trip to the server, for readiness checks.
    /// </summary>
    /// <exception cref="PgVectorUnavailableException">The server cannot be reached or has no connection for this node.</exception>
    public Task PingAsync(CancellationToken ct = default) => RetryOnceAsync(async () =>
    {
        await EnsureSchemaAsync(ct).ConfigureAwait(false);
        NpgsqlConnection conn = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using (conn.ConfigureAwait(false))
        {
            await using var ping = new NpgsqlCommand("SELECT 1", conn);
            await ping.ExecuteScalarAsync(ct).ConfigureAwait(false);
        }
        return true;
    });

    /// <summary>
    /// Runs an operation that is safe to repeat; when the connection it used was lost (the server restarted or went
    /// away), the pool is emptied and it runs once more on a new connection.
    /// </summary>
    private async Task<T> RetryOnceAsync<T>(Func<Task<T>> operation)
    {
        try
        {
            return await operation().ConfigureAwait(false);
        }
        catch (Exception e) when (IsConnectionLost(e))
        {
            // A restart breaks every pooled connection at once; without this each would fail one request in turn.
            _dataSource.Clear();
        }
        catch (Exception e) when (Unavailable(e) is { } unavailable)
        {
            throw unavailable;
        }
        return await GuardAsync(operation).ConfigureAwait(false);
    }

    /// <summary>Runs an operation once, turning a lost server or an exhausted pool into <see cref="PgVectorUnavailableException"/>.</summary>
    private async Task<T> GuardAsync<T>(Func<Task<T>> operation)
    {
        try
        {
            return await operation().ConfigureAwait(false);
        }
        catch (Exception e) when (Unavailable(e) is { } unavailable)
        {
            if (IsConnectionLost(e)) _dataSource.Clear();
            throw unavailable;
        }
    }

    /// <summary>What a client should be told about a failure that is the server's or the pool's, not the request's; else null.</summary>
    private PgVectorUnavailableException? Unavailable(Exception e) => e switch
    {
        _ when IsConnectionLost(e) => new PgVectorUnavailableException(
            $"PostgreSQL at {_server} went away ({Innermost(e).Message}); retry shortly. If it persists, check that the server is running " +
            $"and reachable (the server is set by {PgConnectionString.Setting}).", e),
        NpgsqlException npgsql when IsPoolExhausted(npgsql) => new PgVectorUnavailableException(
            $"All {_maxPoolSize} connections this node may open to PostgreSQL at {_server} are busy; retry shortly. " +
            $"Raise {PoolSizeSetting} (with PostgreSQL's max_connections) if this is the usual load; the server is set by {PgConnectionString.Setting}.", e),
        PostgresException pg when pg.SqlState is PostgresErrorCodes.TooManyConnections or PostgresErrorCodes.ConfigurationLimitExceeded => new PgVectorUnavailableException(
            $"PostgreSQL at {_server} has no connection left for this node ({pg.MessageText}); retry shortly. Lower {PoolSizeSetting} " +
            $"on the nodes sharing it, or raise the server's max_connections (the server is set by {PgConnectionString.Setting}).", e),
        _ => null,
    };

    /// <summary>The server ended the session or the socket died: a fresh connection may work where this one cannot.</summary>
    private static bool IsConnectionLost(Exception e) => e switch
    {
        PostgresException pg => pg.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow
            || pg.SqlState.StartsWith("08", StringComparison.Ordinal), // connection exceptions
        NpgsqlException npgsql => !IsPoolExhausted(npgsql) && (npgsql.IsTransient || HasSocketFailure(npgsql)),
        _ => false,
    };

    private static bool IsPoolExhausted(NpgsqlException e) =>
        e is not PostgresException && e.Message.StartsWith("The connection pool has been exhausted", StringComparison.Ordinal);

    private static bool HasSocketFailure(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
            if (x is SocketException or IOException or EndOfStreamException) return true;
        return false;
    }
}
