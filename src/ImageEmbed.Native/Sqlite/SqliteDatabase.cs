using System.Runtime.InteropServices;
using System.Text;

namespace ImageEmbed.Native.Sqlite;

/// <summary>A SQLite call failed; the message is SQLite's own.</summary>
public sealed class SqliteException(int code, string message) : Exception($"SQLite error {code}: {message}")
{
    public int Code { get; } = code;
}

/// <summary>
/// One SQLite connection (serialized mode: safe to share, one statement at a time per caller is the
/// caller's business). Opened in WAL mode with <c>synchronous=FULL</c>, so a committed transaction is on
/// disk when <c>COMMIT</c> returns.
/// </summary>
public sealed unsafe class SqliteDatabase : IDisposable
{
    private readonly SqliteConnectionHandle _db;

    private SqliteDatabase(SqliteConnectionHandle db) => _db = db;

    /// <summary>
    /// Opens (creating if needed) the database file at <paramref name="path"/> and runs
    /// <paramref name="setup"/> (pragmas, <c>CREATE TABLE IF NOT EXISTS</c>) on it; the file is closed again
    /// when either fails.
    /// </summary>
    /// <exception cref="SqliteException">The file cannot be opened, is not a database, or the setup failed.</exception>
    public static SqliteDatabase Open(string path, string? setup = null)
    {
        int rc = SqliteInterop.Open(path, out nint raw, SqliteInterop.OpenReadWrite | SqliteInterop.OpenCreate | SqliteInterop.OpenFullMutex, 0);
        var handle = new SqliteConnectionHandle();
        handle.Attach(raw);
        var db = new SqliteDatabase(handle);
        try
        {
            if (rc != SqliteInterop.Ok) throw db.Error(rc, $"opening {path}");
            SqliteInterop.BusyTimeout(handle, 5000);
            db.Execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
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
        byte[] utf8 = Encoding.UTF8.GetBytes(sql);
        int offset = 0;
        while (offset < utf8.Length)
        {
            using SqliteStatement? statement = PrepareAt(utf8, ref offset);
            if (statement is null) break;
            while (statement.Step()) { }
        }
    }

    /// <summary>Prepares one statement. The caller disposes it.</summary>
    public SqliteStatement Prepare(string sql)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(sql);
        int offset = 0;
        return PrepareAt(utf8, ref offset) ?? throw new ArgumentException("No SQL statement in: " + sql, nameof(sql));
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
    public int Changes => SqliteInterop.Changes(_db);

    public void Dispose() => _db.Dispose();

    private SqliteStatement? PrepareAt(byte[] utf8, ref int offset)
    {
        fixed (byte* start = utf8)
        {
            byte* sql = start + offset;
            nint tailPtr = 0;
            int rc = SqliteInterop.Prepare(_db, sql, utf8.Length - offset, out nint raw, (nint)(&tailPtr));
            if (rc != SqliteInterop.Ok) throw Error(rc, "preparing " + Encoding.UTF8.GetString(utf8, offset, Math.Min(120, utf8.Length - offset)));
            offset = tailPtr == 0 ? utf8.Length : (int)((byte*)tailPtr - start);
            if (raw == 0) return null; // only whitespace or comments were left
            var handle = new SqliteStatementHandle();
            handle.Attach(raw);
            return new SqliteStatement(this, handle);
        }
    }

    internal SqliteException Error(int code, string context)
    {
        string message = Marshal.PtrToStringUTF8((nint)SqliteInterop.ErrorMessage(_db)) ?? Marshal.PtrToStringUTF8((nint)SqliteInterop.ErrorString(code)) ?? "unknown";
        return new SqliteException(code, $"{message} ({context})");
    }
}

/// <summary>A prepared statement. Parameters are 1-based, columns 0-based, as in the C API.</summary>
public sealed unsafe class SqliteStatement : IDisposable
{
    private static readonly byte[] s_emptyText = [0];
    private readonly SqliteDatabase _db;
    private readonly SqliteStatementHandle _statement;

    internal SqliteStatement(SqliteDatabase db, SqliteStatementHandle statement)
    {
        _db = db;
        _statement = statement;
    }

    public SqliteStatement Bind(int index, string? value)
    {
        if (value is null) return BindNull(index);
        byte[] utf8 = Encoding.UTF8.GetBytes(value);
        // An empty array pins to a null pointer, which SQLite would store as NULL, not as "".
        fixed (byte* p = utf8.Length == 0 ? s_emptyText : utf8) Check(SqliteInterop.BindText(_statement, index, p, utf8.Length, SqliteInterop.Transient), "binding text");
        return this;
    }

    public SqliteStatement Bind(int index, long value)
    {
        Check(SqliteInterop.BindInt64(_statement, index, value), "binding an integer");
        return this;
    }

    public SqliteStatement Bind(int index, ReadOnlySpan<byte> value)
    {
        fixed (byte* p = value) Check(SqliteInterop.BindBlob(_statement, index, p, value.Length, SqliteInterop.Transient), "binding a blob");
        return this;
    }

    public SqliteStatement BindNull(int index)
    {
        Check(SqliteInterop.BindNull(_statement, index), "binding null");
        return this;
    }

    /// <summary>Advances: true when a row is available, false when the statement is done.</summary>
    public bool Step()
    {
        int rc = SqliteInterop.Step(_statement);
        if (rc == SqliteInterop.Row) return true;
        if (rc == SqliteInterop.Done) return false;
        throw _db.Error(rc, "executing");
    }

    /// <summary>Resets for another execution and clears the bindings.</summary>
    public void Reset()
    {
        SqliteInterop.Reset(_statement);
        SqliteInterop.ClearBindings(_statement);
    }

    public bool IsNull(int column) => SqliteInterop.ColumnType(_statement, column) == SqliteInterop.TypeNull;

    public long GetInt64(int column) => SqliteInterop.ColumnInt64(_statement, column);

    public string? GetText(int column)
    {
        byte* p = SqliteInterop.ColumnText(_statement, column);
        return p == null ? null : Encoding.UTF8.GetString(p, SqliteInterop.ColumnBytes(_statement, column));
    }

    /// <summary>The column's bytes. Valid only until the next <see cref="Step"/>, <see cref="Reset"/> or <see cref="Dispose"/>.</summary>
    public ReadOnlySpan<byte> GetBlob(int column)
    {
        void* p = SqliteInterop.ColumnBlob(_statement, column);
        return p == null ? default : new ReadOnlySpan<byte>(p, SqliteInterop.ColumnBytes(_statement, column));
    }

    public void Dispose() => _statement.Dispose();

    private void Check(int rc, string what)
    {
        if (rc != SqliteInterop.Ok) throw _db.Error(rc, what);
    }
}
