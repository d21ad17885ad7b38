using System.Diagnostics;

namespace ImageEmbed.Service.Metrics;

/// <summary>Counts every request by its route template (not its raw path, which would explode the label set).</summary>
internal sealed class RequestMetricsMiddleware(RequestDelegate next, ServiceMetrics metrics)
{
    public async Task InvokeAsync(HttpContext context)
    {
        long start = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            string route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
            metrics.CountRequest(route, context.Request.Method, context.Response.StatusCode, Stopwatch.GetElapsedTime(start));
        }
    }
}
