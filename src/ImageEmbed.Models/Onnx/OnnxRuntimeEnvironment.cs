using Microsoft.ML.OnnxRuntime;

namespace ImageEmbed.Models.Onnx;

/// <summary>The process-wide ONNX Runtime environment, created once with ImageEmbed's log settings.</summary>
public static class OnnxRuntimeEnvironment
{
    private static readonly Lazy<OrtEnv> s_env = new(Create, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The ONNX Runtime version, e.g. <c>1.32.0</c>. Reading it creates the environment.</summary>
    public static string Version => s_env.Value.GetVersionString();

    internal static void EnsureCreated() => _ = s_env.Value;

    private static OrtEnv Create()
    {
        // Errors only: warnings about unused initializers are noise for users. No telemetry.
        var options = new EnvironmentCreationOptions { logId = "imageembed", logLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        OrtEnv env = OrtEnv.CreateInstanceWithOptions(ref options);
        env.DisableTelemetryEvents();
        return env;
    }
}
