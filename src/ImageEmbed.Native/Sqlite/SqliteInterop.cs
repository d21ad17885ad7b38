using System.Runtime.InteropServices;

namespace ImageEmbed.Native.Sqlite;

/// <summary>Raw SQLite C API declarations (the system's libsqlite3). The wrappers own handles and check codes.</summary>
internal static unsafe partial class SqliteInterop
{
    private const string Lib = NativeLibraries.Sqlite;

    public const int Ok = 0, Row = 100, Done = 101;
    public const int OpenReadWrite = 0x02, OpenCreate = 0x04, OpenFullMutex = 0x10000;
    public const int TypeNull = 5;

    /// <summary><c>SQLITE_TRANSIENT</c>: SQLite copies bound data before the call returns.</summary>
    public static readonly nint Transient = -1;

    [LibraryImport(Lib, EntryPoint = "sqlite3_open_v2", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string filename, out nint db, int flags, nint vfs);

    [LibraryImport(Lib, EntryPoint = "sqlite3_close_v2")]
    public static partial int Close(nint db);

    [LibraryImport(Lib, EntryPoint = "sqlite3_errmsg")]
    public static partial byte* ErrorMessage(SqliteConnectionHandle db);

    [LibraryImport(Lib, EntryPoint = "sqlite3_errstr")]
    public static partial byte* ErrorString(int code);

    [LibraryImport(Lib, EntryPoint = "sqlite3_busy_timeout")]
    public static partial int BusyTimeout(SqliteConnectionHandle db, int milliseconds);

    [LibraryImport(Lib, EntryPoint = "sqlite3_prepare_v2")]
    public static partial int Prepare(SqliteConnectionHandle db, byte* sql, int length, out nint statement, nint tail);

    [LibraryImport(Lib, EntryPoint = "sqlite3_finalize")]
    public static partial int Finalize(nint statement);

    [LibraryImport(Lib, EntryPoint = "sqlite3_step")]
    public static partial int Step(SqliteStatementHandle statement);

    [LibraryImport(Lib, EntryPoint = "sqlite3_reset")]
    public static partial int Reset(SqliteStatementHandle statement);

    [LibraryImport(Lib, EntryPoint = "sqlite3_clear_bindings")]
    public static partial int ClearBindings(SqliteStatementHandle statement);

    [LibraryImport(Lib, EntryPoint = "sqlite3_bind_text")]
    public static partial int BindText(SqliteStatementHandle statement, int index, byte* text, int length, nint destructor);

    [LibraryImport(Lib, EntryPoint = "sqlite3_bind_blob")]
    public static partial int BindBlob(SqliteStatementHandle statement, int index, void* data, int length, nint destructor);

    [LibraryImport(Lib, EntryPoint = "sqlite3_bind_int64")]
    public static partial int BindInt64(SqliteStatementHandle statement, int index, long value);

    [LibraryImport(Lib, EntryPoint = "sqlite3_bind_null")]
    public static partial int BindNull(SqliteStatementHandle statement, int index);

    [LibraryImport(Lib, EntryPoint = "sqlite3_column_type")]
    public static partial int ColumnType(SqliteStatementHandle statement, int column);

    [LibraryImport(Lib, EntryPoint = "sqlite3_column_int64")]
    public static partial long ColumnInt64(SqliteStatementHandle statement, int column);

    [LibraryImport(Lib, EntryPoint = "sqlite3_column_text")]
    public static partial byte* ColumnText(SqliteStatementHandle statement, int column);

    [LibraryImport(Lib, EntryPoint = "sqlite3_column_blob")]
    public static partial void* ColumnBlob(SqliteStatementHandle statement, int column);

    [LibraryImport(Lib, EntryPoint = "sqlite3_column_bytes")]
    public static partial int ColumnBytes(SqliteStatementHandle statement, int column);

    [LibraryImport(Lib, EntryPoint = "sqlite3_changes")]
    public static partial int Changes(SqliteConnectionHandle db);
}

/// <summary>Owns a <c>sqlite3*</c>; closed with <c>sqlite3_close_v2</c>, which defers until its statements are finalized.</summary>
internal sealed class SqliteConnectionHandle : SafeHandle
{
    public SqliteConnectionHandle() : base(0, ownsHandle: true) { }

    public override bool IsInvalid => handle == 0;

    public void Attach(nint db) => SetHandle(db);

    protected override bool ReleaseHandle() => SqliteInterop.Close(handle) == SqliteInterop.Ok;
}

/// <summary>Owns a <c>sqlite3_stmt*</c>; released with <c>sqlite3_finalize</c>.</summary>
internal sealed class SqliteStatementHandle : SafeHandle
{
    public SqliteStatementHandle() : base(0, ownsHandle: true) { }

    public override bool IsInvalid => handle == 0;

    public void Attach(nint statement) => SetHandle(statement);

    protected override bool ReleaseHandle()
    {
        SqliteInterop.Finalize(handle);
        return true;
    }
}
