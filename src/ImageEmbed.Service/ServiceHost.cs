using System.Text.Json;
using ImageEmbed.Imaging;
using ImageEmbed.Application.Ingest;
using ImageEmbed.Imaging.Intake;
using ImageEmbed.Models;
using ImageEmbed.Service.Auth;
using ImageEmbed.Service.Endpoints;
using ImageEmbed.Service.Errors;
using ImageEmbed.Service.Hosting;
using ImageEmbed.Service.Limits;
using ImageEmbed.Service.Metrics;
using ImageEmbed.Storage.Content;
using Microsoft.Extensions.Configuration.CommandLine;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ImageEmbed.Service;

/// <summary>Composition root: configuration, services and the HTTP pipeline. Tests build the same app on loopback.</summary>
public static class ServiceHost
{
    public const string NoAuthFlag = "--no-auth";

    /// <summary>
    /// Builds the service. Configuration, lowest to highest precedence: <c>appsettings.json</c>,
    /// <c>IMAGEEMBED_*</c> variables, command-line <c>--Section:Key=value</c> (and <c>--urls</c>).
    /// </summary>
    /// <exception cref="ArgumentException">A setting is invalid; the message names it and its value.</exception>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        bool noAuth = args.Contains(NoAuthFlag);
        args = args.Where(a => a != NoAuthFlag).ToArray();
        WebApplicationBuilder builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        InsertBeforeCommandLine(builder.Configuration);
        configure?.Invoke(builder);

        IConfiguration config = builder.Configuration;
        ServiceOptions service = SettingsBinding.Bind(config, "Service", new ServiceOptions());
        if (noAuth) service.NoAuth = true;
        ModelsOptions models = SettingsBinding.Models(config);
        ImagingOptions imaging = SettingsBinding.Imaging(config);
        var problems = service.Validate().Concat(models.Validate()).Concat(imaging.Validate()).ToList();
        if (service.Store is { Length: > 0 } store && store is not ("embedded" or "embedded-int8"))
        {
            try { Storage.PgVector.PgVectorStore.ValidateConnectionString(store); }
            catch (ArgumentException e) { problems.Add($"Service:Store (IMAGEEMBED_STORE) is not a usable PostgreSQL connection string: {e.Message}"); }
        }
        if (problems.Count > 0) throw new ArgumentException("Invalid settings: " + string.Join(" ", problems));
        string dataDirectory = SettingsBinding.DataDirectory(config);

        // Base64 JSON is 4/3 of the image; multipart adds a little. Anything bigger is refused while it streams in.
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = imaging.MaxBytes * 4 / 3 + 1024 * 1024);
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            o.SerializerOptions.Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping; // "'" stays "'" in messages
        });
        builder.Services.AddSingleton(service).AddSingleton(models).AddSingleton(imaging);
        builder.Services.TryAddSingleton<IHostResolver>(SystemHostResolver.Instance);
        builder.Services.AddSingleton(sp => new UrlFetcher(imaging, sp.GetRequiredService<IHostResolver>()));
        builder.Services.AddSingleton<ImageSourceReader>();
        builder.Services.AddSingleton(_ => new EmbeddingEngine(models, imaging));
        builder.Services.AddSingleton(_ => ContentCache.Open(dataDirectory));
        builder.Services.AddSingleton<ServiceMetrics>();
        builder.Services.AddSingleton<IIngestObserver, IngestMetrics>();
        builder.Services.AddSingleton(sp => new ImageIngest(sp.GetRequiredService<EmbeddingEngine>(), sp.GetRequiredService<ContentCache>(), imaging,
            sp.GetRequiredService<ImageSourceReader>(), sp.GetRequiredService<IIngestObserver>()));
        builder.Services.AddSingleton(_ => LoadKeys(service, dataDirectory));
        builder.Services.AddSingleton(_ => new CollectionStoreProvider(service, dataDirectory));
        builder.Services.AddSingleton(_ => Storage.Jobs.JobStore.Open(dataDirectory));
        builder.Services.AddSingleton<JobRunner>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<JobRunner>());
        builder.Services.AddSingleton<ModelWarmupService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ModelWarmupService>());
        builder.Services.AddPerKeyRateLimits(service);
        builder.Services.AddOpenApi();

        WebApplication app = builder.Build();
        if (service.NoAuth)
            app.Logger.LogWarning("*** --no-auth: every API route is open to anyone who can reach this port. Use it only for local experiments. ***");
        _ = app.Services.GetRequiredService<ApiKeyStore>(); // print a generated key at start, not on the first request

        app.UseMiddleware<RequestMetricsMiddleware>();
        app.UseMiddleware<ErrorHandlingMiddleware>();
        app.UseMiddleware<ApiKeyMiddleware>();
        app.UseRateLimiter();

        app.MapOpenApi("/openapi.json");
        OpsEndpoints.Map(app);
        CoreVizEndpoints.Map(app);
        OpenAiEndpoints.Map(app);
        ClassifyEndpoints.Map(app);
        CollectionEndpoints.Map(app);
        JobEndpoints.Map(app);
        BrowseEndpoints.Map(app);
        WebUiEndpoints.Map(app);
        app.MapFallback(context => ErrorWriter.WriteAsync(context, new ApiError(404, $"No route {context.Request.Method} {context.Request.Path}. See /openapi.json.", "invalid_request_error", "not_found")));
        return app;
    }

    private static ApiKeyStore LoadKeys(ServiceOptions options, string dataDirectory)
    {
        ApiKeyStore store = ApiKeyStore.Load(options, dataDirectory, out string? generated);
        if (generated is not null)
        {
            // Shown once: only its hash is kept (in api-keys.json).
            Console.WriteLine();
            Console.WriteLine("  No API key was configured, so one was generated. It is shown only this once:");
            Console.WriteLine();
            Console.WriteLine($"      {generated}");
            Console.WriteLine();
            Console.WriteLine($"  Its hash is stored in {Path.Combine(dataDirectory, ApiKeyStore.FileName)}. Send it as 'x-api-key: <key>'");
            Console.WriteLine("  or 'Authorization: Bearer <key>'. Set IMAGEEMBED_API_KEYS to choose your own keys.");
            Console.WriteLine();
        }
        return store;
    }

    /// <summary>Puts the IMAGEEMBED_* variables above appsettings and the plain environment, but below the command line.</summary>
    private static void InsertBeforeCommandLine(ConfigurationManager configuration)
    {
        IConfigurationBuilder builder = configuration;
        int index = builder.Sources.ToList().FindLastIndex(s => s is CommandLineConfigurationSource);
        var env = new ConfigurationBuilder().AddImageEmbedEnvironment();
        IConfigurationSource source = env.Sources[0];
        if (index < 0) builder.Sources.Add(source);
        else builder.Sources.Insert(index, source);
    }
}
