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
        app.MapGet("/metrics", WriteMetrics).WithName("Metrics").WithSummary("Prometheus text: request counts and per-stage latency histograms.");
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

    private static IResult WriteMetrics(ServiceMetrics metrics, EmbeddingEngine engine)
    {
        // A few kilobytes: render to a string, then let the result write it asynchronously.
        using var writer = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
        metrics.WriteTo(writer, engine);
        return Results.Text(writer.ToString(), "text/plain; version=0.0.4; charset=utf-8");
    }
}
