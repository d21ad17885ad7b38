namespace ImageEmbed.Imaging.Vips;

/// <summary>
/// Process-wide libvips state (NetVips over the NetVips.Native build of libvips): started once, on first
/// use, with untrusted and non-raster loaders blocked and the operation cache off.
/// </summary>
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

    /// <summary>libvips version, e.g. <c>8.18.7</c>. Reading it initializes libvips.</summary>
    public static string Version => s_version.Value;

    /// <summary>Initializes libvips if needed. Thread-safe; cheap after the first call.</summary>
    public static void EnsureStarted() => _ = s_version.Value;

    /// <summary>Threads libvips may use per pipeline (0 = its default: one per core).</summary>
    public static void SetConcurrency(int threads)
    {
        EnsureStarted();
        NetVips.NetVips.Concurrency = threads;
    }

    /// <summary>Empties libvips' (process-wide) error buffer.</summary>
    public static void ClearErrors()
    {
        EnsureStarted();
        _ = new NetVips.VipsException(""); // reading the buffer through NetVips clears it
    }

    /// <summary>Bytes currently allocated by libvips' tracked allocator (pixel buffers).</summary>
    public static long TrackedMemory { get { EnsureStarted(); return NetVips.Stats.Mem; } }

    /// <summary>Live tracked allocations in libvips; returns to 0 when no image is alive.</summary>
    public static int TrackedAllocations { get { EnsureStarted(); return NetVips.Stats.Allocations; } }

    /// <summary>Files libvips holds open.</summary>
    public static int TrackedFiles { get { EnsureStarted(); return NetVips.Stats.Files; } }

    /// <summary>
    /// Receives libvips' warnings (e.g. "profile incompatible with image"), which libvips would
    /// otherwise print on stderr. Null drops them. Set it before libvips is first used.
    /// </summary>
    public static Action<string>? Warning { get; set; }

    private static string Start()
    {
        if (!NetVips.ModuleInitializer.VipsInitialized)
            throw new DllNotFoundException(
                $"libvips could not be loaded ({NetVips.ModuleInitializer.Exception?.Message}). It comes from the NetVips.Native package for this platform; " +
                "run from a build or publish output of ImageEmbed, which carries it under runtimes/<rid>/native.");
        NetVips.Log.SetLogHandler("VIPS", NetVips.Enums.LogLevelFlags.Warning | NetVips.Enums.LogLevelFlags.Message | NetVips.Enums.LogLevelFlags.Info | NetVips.Enums.LogLevelFlags.Debug, OnLog);
        // Each decoded image is new: caching operations would only keep pixels alive longer.
        NetVips.Cache.Max = 0;
        NetVips.NetVips.BlockUntrusted = true;
        foreach (string loader in s_blockedLoaders) NetVips.Operation.Block(loader, true);
        return $"{NetVips.NetVips.Version(0)}.{NetVips.NetVips.Version(1)}.{NetVips.NetVips.Version(2)}";
    }

    private static void OnLog(string? domain, NetVips.Enums.LogLevelFlags level, string? message)
    {
        // Never let an exception cross back into native code.
        try
        {
            Warning?.Invoke(message ?? "");
        }
        catch
        {
        }
    }
}
