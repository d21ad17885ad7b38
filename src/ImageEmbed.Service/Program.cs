using ImageEmbed.Application.Configuration;
using ImageEmbed.Service;

if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine("""
        Usage: imageembed serve [--urls URLS] [--no-auth] [--Section:Key=value ...]

        Runs the HTTP service: the web UI at /, POST /api/ai/embeddings (CoreViz-compatible),
        POST /v1/embeddings and GET /v1/models (OpenAI-compatible), /v1/collections, /healthz, /readyz,
        /metrics, /openapi.json.

        Options:
          --urls URLS          Addresses to listen on (default http://localhost:5000), e.g. http://0.0.0.0:8080.
          --no-auth            Serve without API keys. For local experiments only: anyone who can reach the
                               port can use the API. A warning is logged at start.
          --Section:Key=value  Any setting, e.g. --Models:MaxBatchSize=16 (see appsettings.json). Settings come from
                               appsettings.json, then the variables below, then these arguments.
          -h, --help           Show this help and exit.

        API keys: IMAGEEMBED_API_KEYS (comma-separated) and/or api-keys.json in the data folder (hashes only).
        With neither, the first start generates a key, prints it once and stores only its hash.

        Environment:
        """);
    foreach ((string variable, _, string meaning) in SettingVariables.All) Console.WriteLine($"  {variable,-36} {meaning}");
    return 0;
}

try
{
    WebApplication app = ServiceHost.Build(args);
    await app.RunAsync();
    return 0;
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}
