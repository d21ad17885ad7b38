using ImageEmbed.Application.Configuration;
using ImageEmbed.Models.Execution;
using ImageEmbed.Service;
using Microsoft.AspNetCore.Builder;

namespace ImageEmbed.Cli.Commands;

/// <summary>
/// <c>imageembed serve</c>: the HTTP service (src/ImageEmbed.Service) in this same executable. Its arguments go to
/// the host unparsed (<c>--urls</c>, <c>--no-auth</c>, <c>--Section:Key=value</c>), so it has no <see cref="CommandSpec"/>.
/// </summary>
internal static class ServeCommand
{
    public const string Summary = "Run the HTTP service (see 'imageembed serve --help').";

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Contains("--help") || args.Contains("-h"))
        {
            Console.Write(Help());
            return 0;
        }
        try
        {
            // The host stops on SIGTERM/Ctrl+C: it stops accepting, lets requests in flight finish (within
            // HostOptions.ShutdownTimeout), then disposes the stores and models.
            await using WebApplication app = ServiceHost.Build(args);
            await app.RunAsync();
            return 0;
        }
        catch (Exception e) when (e is ArgumentException or ExecutionProviderException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
    }

    private static string Help()
    {
        var lines = new List<string>
        {
            "Usage: imageembed serve [--urls URLS] [--no-auth] [--Section:Key=value ...]",
            "",
            "Runs the HTTP service: the web UI at /, POST /api/ai/embeddings (CoreViz-compatible),",
            "POST /v1/embeddings and GET /v1/models (OpenAI-compatible), /v1/collections, /healthz, /readyz,",
            "/metrics, /openapi.json.",
            "",
            "Options:",
            "  --urls URLS          Addresses to listen on (default http://localhost:5000), e.g. http://0.0.0.0:8080.",
            "  --no-auth            Serve without API keys. For local experiments only: anyone who can reach the",
            "                       port can use the API. A warning is logged at start.",
            "  --Section:Key=value  Any setting, e.g. --Models:MaxBatchSize=16 (see appsettings.json). Settings come from",
            "                       appsettings.json, then the variables below, then these arguments.",
            "  -h, --help           Show this help and exit.",
            "",
            "API keys: IMAGEEMBED_API_KEYS (comma-separated) and/or api-keys.json in the data folder (hashes only).",
            "With neither, the first start generates a key, prints it once and stores only its hash.",
            "",
            "Environment:",
        };
        lines.AddRange(SettingVariables.HelpLines);
        lines.Add("");
        return string.Join(Environment.NewLine, lines);
    }
}
