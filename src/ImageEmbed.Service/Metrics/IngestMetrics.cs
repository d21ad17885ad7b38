using ImageEmbed.Application.Ingest;
using ImageEmbed.Models;

namespace ImageEmbed.Service.Metrics;

/// <summary>The ingest path's reports, as <c>/metrics</c> stage timings and a logged warning for a failing content cache.</summary>
internal sealed partial class IngestMetrics(ServiceMetrics metrics, ILogger<IngestMetrics> logger) : IIngestObserver
{
    public void Fetched(TimeSpan elapsed) => metrics.ObserveStage(Stage.Fetch, elapsed);

    public void Embedded(EmbeddingTimings timings) => metrics.ObserveEmbedding(timings);

    public void CacheFailed(Exception exception) => Log.CacheFailed(logger, exception.Message);

    private static partial class Log
    {
        [LoggerMessage(EventId = 40, Level = LogLevel.Warning, Message = "Content cache unavailable, continuing without it: {Reason}")]
        public static partial void CacheFailed(ILogger logger, string reason);
    }
}
