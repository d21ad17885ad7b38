
namespace ImageEmbed.Native.Vips;

/// <summary>Process-wide libvips state: started once, on first use, with untrusted loaders blocked.</summary>
public static class VipsRuntime
{
    private static readonly Lazy<string> s_version = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);

    // Loaders that parse documents, scripts or foreign containers rather than raster images. They are
    // blocked process-wide so that no code path can reach them, whatever the sniffer lets through.
    private static readonly string[] s_blockedLoaders =
    [
        "VipsForeignLoadSvg", "VipsForeignLoadPdf", "VipsForeignLoadMagick", "VipsForeignLoadMatrix",
        "VipsForeignLoadCsv", "VipsForeignLoadRaw", "VipsForeignLoadVips", "VipsForeignLoadFits",
        "VipsForeignLoadOpenexr", "VipsForeignLoadAnalyze", "VipsForeignLoadOpenslide", "VipsForeignLoadPpm",
        "VipsForeignLoadRad", "VipsForeignLoadJxl", "VipsForeignLoadJp2k", "VipsForeignLoadNifti",
    ];

    /// <summary>libvips version, e.g. <c>8.18.7</c>. Calling it initializes libvips.</summary>
    public static string Version => s_version.Value;

    /// <summary>Initializes libvips if needed. Thread-safe; cheap after the first call.</summary>
    public static void EnsureStarted() => _ = s_version.Value;

    /// <summary>Threads libvips may use per pipeline (0 = its default: one per core).</summary>
    public static void SetConcurrency(int threads)
    {
        EnsureStarted();
        VipsInterop.ConcurrencySet(threads);
    }

    /// <summary>Empties libvips' (process-wide) error buffer.</summary>
    public static void ClearErrors()
    {
        EnsureStarted();
        VipsInterop.ErrorClear();
    }

    /// <summary>Bytes currently allocated by libvips' tracked allocator (pixel buffers).</summary>
    public static long TrackedMemory { get { EnsureStarted(); return (long)VipsInterop.TrackedGetMem(); } }

    /// <summary>Live tracked allocations in libvips; returns to 0 when no image is alive.</summary>
    public static int TrackedAllocations { get { EnsureStarted(); return VipsInterop.TrackedGetAllocs(); } }

    /// <summary>Files libvips holds open.</summary>
    public static int TrackedFiles { get { EnsureStarted(); return VipsInterop.TrackedGetFiles(); } }

    /// <summary>
    /// Receives libvips' warnings (e.g. "profile incompatible with image"), which libvips would
    /// otherwise print on stderr. Null drops them. Set it before libvips is first used.
    /// </summary>
    public static Action<string>? Warning { get; set; }

    private static unsafe string Start()
    {
        if (VipsInterop.Init("imageembed") != 0) throw VipsException.FromErrorBuffer("vips_init failed");
        // WARNING | MESSAGE | INFO | DEBUG of the "VIPS" log domain.
        VipsInterop.GLogSetHandler("VIPS", (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7), &OnLog, null);
        // Each decoded image is new: caching operations would only keep pixels alive longer.
        VipsInterop.CacheSetMax(0);
        VipsInterop.BlockUntrustedSet(true);
        foreach (string loader in s_blockedLoaders) VipsInterop.OperationBlockSet(loader, true);
        return $"{VipsInterop.Version(0)}.{VipsInterop.Version(1)}.{VipsInterop.Version(2)}";
    }


    [System.Runtime.InteropServices.UnmanagedCallersOnly]
    private static unsafe void OnLog(byte* domain, int level, byte* message, void* userData)
    {
        // Never let an exception cross back into native code.
        try
        {
            Warning?.Invoke(System.Runtime.InteropServices.Marshal.PtrToStringUTF8((nint)message) ?? "");
        }
        catch
        {
        }
    }
}
