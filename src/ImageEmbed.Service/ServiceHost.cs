using System.Text.Json;
using ImageEmbed.Imaging;
using ImageEmbed.Application.Ingest;
using ImageEmbed.Imaging.Intake;
using ImageEmbed.Models;
using ImageEmbed.Models.Execution;
using ImageEmbed.Service.Auth;
using ImageEmbed.Service.Endpoints;
using ImageEmbed.Service.Errors;
using ImageEmbed.Service.Hosting;
using ImageEmbed.Service.Limits;
using ImageEmbed.Service.Metrics;
using ImageEmbed.Storage.Content;
using ImageEmbed.Application.Configuration;
using Microsoft.AspNetCore.HttpLogging;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ImageEmbed.Service;

/// <summary>Composition root: configuration, services and the HTTP pipeline. Tests build the same app on loopback.</summary>
public static class ServiceHost
{
    public const string NoAuthFlag = "--no-auth";

    /// <summary>
    /// Builds the service. Configuration (<see cref="ImageEmbedConfiguration"/>, shared with the CLI), lowest to highest
    /// precedence: <c>appsettings.json</c>, <c>IMAGEEMBED_*</c> variables, command-line <c>--Section:Key=value</c> (and
    /// <c>--urls</c>). Options are validated once, on start.
    /// </summary>
    /// <exception cref="ArgumentException">A setting is invalid; the message names its key, variable and value.</exception>
    /// <exception cref="ExecutionProviderException">The execution provider the settings name cannot run here.</exception>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        bool noAuth = args.Contains(NoAuthFlag);
        args = args.Where(a => a != NoAuthFlag).ToArray();
        WebApplicationBuilder builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        // Only ImageEmbed's own sources: no ASPNETCORE_*/plain environment variables, no second settings file.
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddImageEmbedSources(args);
        configure?.Invoke(builder);

        IConfiguration config = builder.Configuration;
        builder.Services.AddImageEmbedSettings(config);
        builder.Services.AddSettings<ServiceOptions>(config, "Service", ValidateService).PostConfigure(o => o.NoAuth |= noAuth);
        builder.Services.AddSingleton(sp => sp.GetRequiredService<IOptions<ServiceOptions>>().Value);
        builder.Services.AddSingleton(sp => sp.GetRequiredService<IOptions<ModelsOptions>>().Value);
        builder.Services.AddSingleton(sp => sp.GetRequiredService<IOptions<ImagingOptions>>().Value);
        string dataDirectory = ImageEmbedConfiguration.DataDirectory(config);

        // Base64 JSON is 4/3 of the image; multipart adds a little. Anything bigger is refused while it streams in.
        builder.Services.AddOptions<KestrelServerOptions>().Configure<IOptions<ImagingOptions>>((k, imaging) =>
            k.Limits.MaxRequestBodySize = imaging.Value.MaxBytes * 4 / 3 + 1024 * 1024);
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            o.SerializerOptions.Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping; // "'" stays "'" in messages
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, Endpoints.ServiceJsonContext.Default);
            o.SerializerOptions.TypeInfoResolverChain.Insert(1, ImageEmbed.Contracts.ContractsJsonContext.Default);
        });
        builder.Services.TryAddSingleton<IHostResolver>(SystemHostResolver.Instance);
        builder.Services.AddSingleton(sp => new UrlFetcher(sp.GetRequiredService<ImagingOptions>(), sp.GetRequiredService<IHostResolver>()));
        builder.Services.AddSingleton<ImageSourceReader>();
        builder.Services.AddSingleton(sp => new EmbeddingEngine(sp.GetRequiredService<ModelsOptions>(), sp.GetRequiredService<ImagingOptions>(), dataDirectory));
        builder.Services.AddSingleton(_ => ContentCache.Open(dataDirectory));
        builder.Services.AddSingleton<BodyBudget>();
        builder.Services.AddSingleton<ServiceMetrics>();
        builder.Services.AddSingleton<PlatformMeters>();
        builder.Services.AddSingleton<IIngestObserver, IngestMetrics>();
        builder.Services.AddSingleton(sp => new StoreContentCache(sp.GetRequiredService<CollectionStoreProvider>(), sp.GetRequiredService<ContentCache>()));
        builder.Services.AddSingleton(sp => new ImageIngest(sp.GetRequiredService<EmbeddingEngine>(), sp.GetRequiredService<StoreContentCache>(), sp.GetRequiredService<ImagingOptions>(),
            sp.GetRequiredService<ImageSourceReader>(), sp.GetRequiredService<IIngestObserver>()));
        builder.Services.AddSingleton(sp => LoadKeys(sp.GetRequiredService<ServiceOptions>(), dataDirectory));
        builder.Services.AddSingleton(sp => new CollectionStoreProvider(sp.GetRequiredService<ServiceOptions>(), sp.GetRequiredService<EmbeddingEngine>().Plan, dataDirectory));
        builder.Services.AddSingleton(_ => Storage.Jobs.JobStore.Open(dataDirectory));
        builder.Services.AddSingleton<JobRunner>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<JobRunner>());
        builder.Services.AddSingleton<ModelWarmupService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ModelWarmupService>());
        builder.Services.AddHostedService<MemoryTrimmer>();
        builder.Services.AddPerKeyRateLimits();
        // The access log: the platform's HTTP logging, one combined line per request, with no header or body.
        builder.Services.AddHttpLogging(o =>
        {
            o.LoggingFields = HttpLoggingFields.RequestMethod | HttpLoggingFields.RequestPath | HttpLoggingFields.ResponseStatusCode | HttpLoggingFields.Duration;
            o.CombineLogs = true;
        });
        builder.Logging.AddFilter("Microsoft.AspNetCore.HttpLogging.HttpLoggingMiddleware", LogLevel.Information);
        builder.Services.AddCors();
        builder.Services.AddOptions<Microsoft.AspNetCore.Cors.Infrastructure.CorsOptions>().Configure<ServiceOptions>(BrowserOrigins.Configure);
        builder.Services.AddOpenApi(o => o.AddSchemaTransformer((schema, context, _) =>
        {
            // A vector is written by its own converter: describe the two shapes it takes.
            if (context.JsonTypeInfo.Type == typeof(Endpoints.EncodedEmbedding))
            {
                schema.Type = Microsoft.OpenApi.JsonSchemaType.Array | Microsoft.OpenApi.JsonSchemaType.String;
                schema.Items = new Microsoft.OpenApi.OpenApiSchema { Type = Microsoft.OpenApi.JsonSchemaType.Number };
                schema.Description = "The unit vector: an array of numbers (encoding_format float, int8, uint8, binary, ubinary), or for base64 a string of little-endian float32 bytes.";
            }
            return Task.CompletedTask;
        }));

        WebApplication app;
        ServiceOptions service;
        try
        {
            app = builder.Build(); // Kestrel reads the imaging limits here
            service = app.Services.GetRequiredService<ServiceOptions>();
            _ = app.Services.GetRequiredService<ModelsOptions>();
            _ = app.Services.GetRequiredService<ImagingOptions>();
        }
        catch (Exception e) when (ImageEmbedConfiguration.Describe(e) is { } message)
        {
            // ValidateOnStart would say the same at start; said here, Build fails the way callers expect.
            throw new ArgumentException(message, e);
        }
        // The execution provider is chosen now, so a provider that cannot run (cuda without a GPU) stops the start.
        EmbeddingEngine engine = app.Services.GetRequiredService<EmbeddingEngine>();
        app.Logger.LogInformation("Execution provider: {Choice} Batches of up to {Batch}, {Parallel} at once, {Threads} ONNX Runtime thread(s) each, {Decoders} decoders.",
            engine.Provider.Reason, engine.Plan.MaxBatchSize, engine.Plan.ParallelBatches, engine.Plan.IntraOpThreads, engine.Plan.DecodeConcurrency);
        // Decoders and inference runners each block a pool thread; without that many spare, the pool's slow thread
        // injection leaves HTTP work (reading bodies, sending refusals) waiting seconds behind them under load.
        ThreadPool.GetMinThreads(out int workers, out int completion);
        ThreadPool.SetMinThreads(Math.Max(workers, Environment.ProcessorCount + engine.Plan.DecodeConcurrency + 2 * engine.Plan.ParallelBatches), completion);
        if (service.NoAuth)
            app.Logger.LogWarning("*** --no-auth: every API route is open to anyone who can reach this port. Use it only for local experiments. ***");
        _ = app.Services.GetRequiredService<ApiKeyStore>(); // print a generated key at start, not on the first request
        _ = app.Services.GetRequiredService<PlatformMeters>(); // counting (exceptions, ...) from the start, not the first scrape

        if (service.AccessLog) app.UseHttpLogging();
        app.UseMiddleware<RequestMetricsMiddleware>();
        if (service.CorsOrigins.Length > 0) app.UseCors(); // preflights are answered here, before a key is asked for
        app.UseMiddleware<ErrorHandlingMiddleware>();
        app.UseMiddleware<ApiKeyMiddleware>();
        app.UseRateLimiter();
        app.UseMiddleware<BodyBudgetMiddleware>();

        app.MapOpenApi("/openapi.json");
        OpsEndpoints.Map(app);
        KeyEndpoints.Map(app);
        CoreVizEndpoints.Map(app);
        OpenAiEndpoints.Map(app);
        ClassifyEndpoints.Map(app);
        CollectionEndpoints.Map(app);
        JobEndpoints.Map(app);
        WebUiEndpoints.Map(app);
        app.MapFallback(context => ErrorWriter.WriteAsync(context, new ApiError(404, $"No route {context.Request.Method} {context.Request.Path}. See /openapi.json.", "invalid_request_error", "not_found")))
            .RequireScope(Storage.Keys.KeyScope.Embed);
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

    /// <summary>The service's settings, and a store connection string that can be parsed.</summary>
    private static IEnumerable<string> ValidateService(ServiceOptions options)
    {
        foreach (string problem in options.Validate()) yield return problem;
        if (options.Store is { Length: > 0 } store && store is not ("embedded" or "embedded-int8"))
        {
            string? problem = null;
            try { Storage.PgVector.PgVectorStore.ValidateConnectionString(store); }
            catch (ArgumentException e) { problem = $"Service:Store is not a usable PostgreSQL connection string: {e.Message}"; }
            if (problem is not null) yield return problem;
        }
    }
}
