using System.Globalization;
using Microsoft.Data.Sqlite;

namespace ImageEmbed.Storage.Sqlite;

/// <summary>
/// One SQLite connection (Microsoft.Data.Sqlite over its bundled e_sqlite3), opened in WAL mode with
/// <c>synchronous=FULL</c>, so a committed transaction is on disk when <c>COMMIT</c> returns. Not
/// thread-safe: each owner serializes its calls (the stores hold a lock or a writer slot).
/// Failures are the provider's <see cref="SqliteException"/>, which carries SQLite's own message.
/// </summary>
public sealed partial class SqliteDatabase : IDisposable
{
    private readonly SqliteConnection _connection;

    private SqliteDatabase(SqliteConnection connection) => _connection = connection;

    /// <summary>
    /// Opens (creating if needed) the database file at <paramref name="path"/> and runs
    /// <paramref name="setup"/> (pragmas, <c>CREATE TABLE IF NOT EXISTS</c>) on it; the file is closed again
    /// when either fails.
    /// </summary>
    /// <exception cref="SqliteException">The file cannot be opened, is not a database, or the setup failed.</exception>
    public static SqliteDatabase Open(string path, string? setup = null)
    {
        // No pooling: each store keeps its connection for its lifetime, and a pooled one would keep the
        // file open after Dispose (tests and the CLI delete or replace data folders).
        PrivateFiles.PrepareDatabase(path);
        var builder = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false, DefaultTimeout = 5 };
        var connection = new SqliteConnection(builder.ToString());
        var db = new SqliteDatabase(connection);
        try
        {
            connection.Open();
            db.Execute("PRAGMA busy_timeout=5000; PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
            if (setup is not null) db.Execute(setup);
            return db;
        }
        catch
        {
            db.Dispose();
            throw;
        }
    }

    /// <summary>Runs one or more statements that return no rows.</summary>
    public void Execute(string sql)
    {
        using SqliteCommand command = _connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>Prepares one statement. The caller disposes it.</summary>
    public SqliteStatement Prepare(string sql)
    {
        if (string.IsNullOrWhiteSpace(sql)) throw new ArgumentException("No SQL statement in: " + sql, nameof(sql));
        SqliteCommand command = _connection.CreateCommand();
        command.CommandText = sql;
        // As in the C API, a parameter never bound is NULL (the provider would refuse to run the statement).
        foreach (System.Text.RegularExpressions.Match m in PositionalParameter().Matches(sql))
            if (!command.Parameters.Contains(m.Value)) command.Parameters.AddWithValue(m.Value, DBNull.Value);
        return new SqliteStatement(this, command);
    }

    /// <summary>
    /// Runs <paramref name="work"/> in one write transaction (BEGIN IMMEDIATE: the write lock is taken up
    /// front, so it cannot fail half-way on a lock upgrade); rolled back if it throws.
    /// </summary>
    public void InTransaction(Action work)
    {
        Execute("BEGIN IMMEDIATE");
        try
        {
            work();
            Execute("COMMIT");
        }
        catch
        {
            Execute("ROLLBACK");
            throw;
        }
    }

    /// <summary>Rows changed by the last INSERT, UPDATE or DELETE.</summary>
    public int Changes { get; internal set; }

    public void Dispose() => _connection.Dispose();

    [System.Text.RegularExpressions.GeneratedRegex(@"\?\d+")]
    private static partial System.Text.RegularExpressions.Regex PositionalParameter();
}

/// <summary>A prepared statement. Parameters are 1-based (<c>?1</c>, <c>?2</c>, …), columns 0-based, as in the C API.</summary>
public sealed class SqliteStatement : IDisposable
{
    private readonly SqliteDatabase _db;
    private readonly SqliteCommand _command;
    private SqliteDataReader? _reader;

    internal SqliteStatement(SqliteDatabase db, SqliteCommand command)
    {
        _db = db;
        _command = command;
    }

    public SqliteStatement Bind(int index, string? value) => Set(index, SqliteType.Text, value);

    public SqliteStatement Bind(int index, long value) => Set(index, SqliteType.Integer, value);

    public SqliteStatement Bind(int index, ReadOnlySpan<byte> value) => Set(index, SqliteType.Blob, value.ToArray());

    public SqliteStatement BindNull(int index) => Set(index, SqliteType.Text, null);

    /// <summary>Advances: true when a row is available, false when the statement is done.</summary>
    public bool Step()
    {
        if (_reader is null)
        {
            _reader = _command.ExecuteReader();
            _db.Changes = Math.Max(0, _reader.RecordsAffected);
        }
        return _reader.Read();
    }

    /// <summary>Resets for another execution and clears the bindings (to NULL).</summary>
    public void Reset()
    {
        _reader?.Dispose();
        _reader = null;
        foreach (SqliteParameter parameter in _command.Parameters) parameter.Value = DBNull.Value;
    }

    public bool IsNull(int column) => Reader.IsDBNull(column);

    public long GetInt64(int column) => Reader.GetInt64(column);

    public string? GetText(int column) => Reader.IsDBNull(column) ? null : Reader.GetString(column);

    /// <summary>The column's bytes (empty for NULL).</summary>
    public ReadOnlySpan<byte> GetBlob(int column) => Reader.IsDBNull(column) ? default : (byte[])Reader.GetValue(column);

    public void Dispose()
    {
        _reader?.Dispose();
        _command.Dispose();
    }

    private SqliteDataReader Reader => _reader ?? throw new InvalidOperationException("Step() the statement before reading columns.");

    private SqliteStatement Set(int index, SqliteType type, object? value)
    {
        // Every ?N of the statement was added when it was prepared; another index fails here, as in the C API.
        SqliteParameter parameter = _command.Parameters["?" + index.ToString(CultureInfo.InvariantCulture)];
        parameter.SqliteType = type;
        parameter.Value = value ?? DBNull.Value;
        return this;
    }
}
