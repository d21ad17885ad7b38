using ImageEmbed.Imaging;
using ImageEmbed.Models;
using ImageEmbed.Service.Hosting;
using ImageEmbed.Service.Metrics;

namespace ImageEmbed.Service.Endpoints;

/// <summary><c>/healthz</c>, <c>/readyz</c>, <c>/metrics</c>: open, no API key.</summary>
internal static class OpsEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => Results.Ok(new { status = "ok" })).WithName("Health").WithSummary("The process is up.");
        app.MapGet("/readyz", Ready).WithName("Ready").WithSummary("Models are loaded, the inference loops answer and the collection store is reachable.");
        app.MapGet("/metrics", WriteMetrics).WithName("Metrics").WithSummary("Prometheus text: request counts, latency histograms per route and stage, queue lengths, jobs by state, collection sizes, and the runtime's own meter (memory, CPU, GC, thread pool).");
    }

    private static async Task<IResult> Ready(ModelWarmupService warmup, EmbeddingEngine engine, ServiceOptions options, ImagingOptions imaging,
        CollectionStoreProvider stores, HttpContext context)
    {
        if (!warmup.IsReady)
            return Results.Json(new { status = warmup.Failure is null ? "loading" : "failed", message = warmup.Failure ?? "The default model is still loading." }, statusCode: 503);
        string[] stalled = engine.Loaded.Where(m => !m.Batcher.IsResponsive(TimeSpan.FromSeconds(options.StallSeconds))).Select(m => m.Name).ToArray();
        if (stalled.Length > 0)
            return Results.Json(new { status = "stalled", message = $"Inference for {string.Join(", ", stalled)} has not answered within {options.StallSeconds} s (Service:StallSeconds)." }, statusCode: 503);
        // Photos decode in milliseconds; every decoder on one image for half the deadline means costly files hold them all.
        var costly = TimeSpan.FromMilliseconds(imaging.DecodeTimeoutMs / 2.0);
        if (engine.DecodersBusyLongerThan(costly) == engine.Plan.DecodeConcurrency)
            return Results.Json(new { status = "saturated", message = $"All {engine.Plan.DecodeConcurrency} image decoders have each been on one image for over {costly.TotalSeconds:0.#} s (half of Imaging:DecodeTimeoutMs); new images wait behind them." }, statusCode: 503);
        // A shared store that went away makes the node useless for collections: a load balancer should know at once.
        if (await stores.UnavailableReasonAsync(TimeSpan.FromSeconds(2), context.RequestAborted) is { } storeProblem)
        {
            context.Response.Headers.RetryAfter = "2";
            return Results.Json(new { status = "store_unavailable", message = storeProblem }, statusCode: 503);
        }
        return Results.Ok(new { status = "ready", models = engine.Loaded.Select(m => m.Name).ToArray() });
    }

    private static async Task<IResult> WriteMetrics(ServiceMetrics metrics, PlatformMeters platform, EmbeddingEngine engine, CollectionStoreProvider stores,
        Storage.Jobs.JobStore jobs, CancellationToken ct)
    {
        // A few kilobytes: render to a string, then let the result write it asynchronously.
        using var writer = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
        metrics.WriteTo(writer, engine);

        writer.WriteLine("# HELP imageembed_jobs Bulk jobs on this node by state.");
        writer.WriteLine("# TYPE imageembed_jobs gauge");
        foreach ((string state, long count) in jobs.CountByState()) writer.WriteLine($"imageembed_jobs{{state=\"{state}\"}} {count}");

        // Collection sizes need the store; a store that is away costs these series, not the scrape.
        IReadOnlyList<Storage.CollectionInfo>? collections = null;
        try
        {
            collections = await (await stores.GetAsync()).ListCollectionsAsync(ct);
        }
        catch (Storage.PgVector.PgVectorUnavailableException)
        {
        }
        if (collections is not null)
        {
            writer.WriteLine("# HELP imageembed_collection_items Items in each collection.");
            writer.WriteLine("# TYPE imageembed_collection_items gauge");
            foreach (Storage.CollectionInfo c in collections) writer.WriteLine($"imageembed_collection_items{{collection=\"{c.Name}\",model=\"{c.Model}\"}} {c.Count}");
        }

        platform.WriteTo(writer);
        return Results.Text(writer.ToString(), "text/plain; version=0.0.4; charset=utf-8");
    }
}
