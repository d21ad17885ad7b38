using System.Runtime.InteropServices;

namespace ImageEmbed.Native.Onnx;

/// <summary>
/// The process-wide ONNX Runtime: the API table, read once through <c>OrtGetApiBase</c> at a pinned
/// API version, one <c>OrtEnv</c>, and one CPU memory description for tensors over our buffers.
/// </summary>
public static unsafe class OrtRuntime
{
    /// <summary>
    /// The C API version requested. ORT keeps older table layouts forever, so any runtime at or above
    /// this version (ORT 1.16+) serves the same table; the build ships 1.30.
    /// </summary>
    public const uint ApiVersion = 16;

    private static readonly Lazy<nint> s_api = new(LoadApi, LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly Lazy<OrtEnvHandle> s_env = new(CreateEnv, LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly Lazy<OrtMemoryInfoHandle> s_cpuMemory = new(CreateCpuMemory, LazyThreadSafetyMode.ExecutionAndPublication);
    private static string s_version = "";

    internal static OrtApi* Api => (OrtApi*)s_api.Value;
    internal static OrtEnvHandle Env => s_env.Value;
    internal static OrtMemoryInfoHandle CpuMemory => s_cpuMemory.Value;

    /// <summary>The loaded ONNX Runtime's version string, e.g. <c>1.30.0</c>.</summary>
    public static string Version { get { _ = s_api.Value; return s_version; } }

    private static nint LoadApi()
    {
        nint export = NativeLibrary.GetExport(NativeLibraries.OnnxRuntimeHandle, "OrtGetApiBase");
        var getApiBase = (delegate* unmanaged<OrtApiBase*>)export;
        OrtApiBase* apiBase = getApiBase();
        s_version = Marshal.PtrToStringUTF8((nint)apiBase->GetVersionString()) ?? "?";
        OrtApi* api = apiBase->GetApi(ApiVersion);
        if (api == null)
            throw new NativeLibraryMissingException($"ONNX Runtime {s_version} does not offer C API version {ApiVersion}; ImageEmbed needs ONNX Runtime 1.{ApiVersion} or newer.");
        return (nint)api;
    }

    private static OrtEnvHandle CreateEnv()
    {
        var env = new OrtEnvHandle();
        nint raw;
        // Level 3 = ORT_LOGGING_LEVEL_ERROR: warnings about unused initializers are noise for users.
        fixed (byte* logId = "imageembed"u8)
            OrtStatus.Check(Api->CreateEnv(3, logId, &raw));
        env.Attach(raw);
        OrtStatus.Check(Api->DisableTelemetryEvents(raw));
        return env;
    }

    private static OrtMemoryInfoHandle CreateCpuMemory()
    {
        var info = new OrtMemoryInfoHandle();
        nint raw;
        // OrtDeviceAllocator = 0, OrtMemTypeDefault = 0: plain CPU memory that we own.
        OrtStatus.Check(Api->CreateCpuMemoryInfo(0, 0, &raw));
        info.Attach(raw);
        return info;
    }
}
