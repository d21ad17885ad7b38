using System.Reflection;
using System.Runtime.InteropServices;

namespace ImageEmbed.Native;

/// <summary>
/// Finds and loads ONNX Runtime and libvips, once per process. Lookup order for each library:
/// the environment variable (<see cref="OnnxRuntimePathVariable"/>, <see cref="LibvipsPathVariable"/>),
/// then <c>native/</c> beside the application (where the build copies what <c>scripts/fetch-native.sh</c>
/// fetched), then the system loader's own search.
/// </summary>
public static class NativeLibraries
{
    /// <summary>Name used in <c>[LibraryImport]</c> declarations for ONNX Runtime.</summary>
    internal const string OnnxRuntime = "onnxruntime";

    /// <summary>Name used in <c>[LibraryImport]</c> declarations for libvips (and the GLib it carries).</summary>
    internal const string Libvips = "vips";

    /// <summary>Name used in <c>[LibraryImport]</c> declarations for SQLite.</summary>
    internal const string Sqlite = "sqlite3";

    public const string OnnxRuntimePathVariable = "IMAGEEMBED_ONNXRUNTIME_PATH";
    public const string SqlitePathVariable = "IMAGEEMBED_SQLITE_PATH";
    public const string LibvipsPathVariable = "IMAGEEMBED_LIBVIPS_PATH";

    private static readonly Lazy<nint> s_onnxRuntime = new(() => Load(OnnxRuntimePathVariable, "libonnxruntime.so.1", "onnxruntime-node@1.30.0"));
    private static readonly Lazy<nint> s_libvips = new(() => Load(LibvipsPathVariable, "libvips-cpp.so", "@img/sharp-libvips-linux-x64@1.3.4"));
    private static readonly Lazy<nint> s_sqlite = new(() => Load(SqlitePathVariable, "libsqlite3.so.0", "the Debian package libsqlite3-0 (apt-get install libsqlite3-0)", bundled: false));
    private static readonly Dictionary<string, string> s_loadedFrom = new();

    /// <summary>Path each library was loaded from, for logs and <c>--version</c> output.</summary>
    public static IReadOnlyDictionary<string, string> LoadedFrom
    {
        get { lock (s_loadedFrom) { return new Dictionary<string, string>(s_loadedFrom); } }
    }

    // A library must resolve its own native names before any [LibraryImport] in it runs; a module
    // initializer is the one hook that is guaranteed to run first (net-vips does the same).
#pragma warning disable CA2255
    [System.Runtime.CompilerServices.ModuleInitializer]
#pragma warning restore CA2255
    internal static void Register() =>
        NativeLibrary.SetDllImportResolver(typeof(NativeLibraries).Assembly, Resolve);

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath) => name switch
    {
        OnnxRuntime => s_onnxRuntime.Value,
        Libvips => s_libvips.Value,
        Sqlite => s_sqlite.Value,
        _ => 0,
    };

    internal static nint OnnxRuntimeHandle => s_onnxRuntime.Value;

    private static nint Load(string variable, string fileName, string package, bool bundled = true)
    {
        var tried = new List<string>();
        string? fromEnv = Environment.GetEnvironmentVariable(variable);
        if (!string.IsNullOrEmpty(fromEnv))
        {
            // An explicit setting is a promise: failing it must not silently fall back elsewhere.
            if (NativeLibrary.TryLoad(fromEnv, out nint h)) return Remember(fileName, fromEnv, h);
            throw new NativeLibraryMissingException(
                $"{variable}={fromEnv} could not be loaded ({DescribeFile(fromEnv)}). Point it at a {fileName} for linux-x64, or unset it to use {(bundled ? $"the copy the build fetches from npm ({package})" : "the system's copy")}.");
        }

        string local = Path.Combine(AppContext.BaseDirectory, "native", fileName);
        tried.Add(local);
        if (File.Exists(local) && NativeLibrary.TryLoad(local, out nint handle)) return Remember(fileName, local, handle);

        tried.Add(fileName + " (system search path)");
        if (NativeLibrary.TryLoad(fileName, out handle)) return Remember(fileName, fileName, handle);

        throw new NativeLibraryMissingException(
            $"Native library {fileName} not found. Tried: {string.Join(", ", tried)}. " +
            (bundled ? $"Build the project (it runs scripts/fetch-native.sh, which downloads {package} from the npm registry), " : $"Install {package}, ") +
            $"or set {variable} to the full path of a copy.");
    }

    private static string DescribeFile(string path) => File.Exists(path) ? "file exists but is not a loadable library" : "no such file";

    private static nint Remember(string fileName, string path, nint handle)
    {
        lock (s_loadedFrom) { s_loadedFrom[fileName] = path; }
        return handle;
    }
}

/// <summary>A native library ImageEmbed needs could not be found or loaded; the message says how to get it.</summary>
public sealed class NativeLibraryMissingException(string message) : Exception(message);
