using System.Collections.Concurrent;
using System.Globalization;
using ImageEmbed.Models;

namespace ImageEmbed.Service.Metrics;

/// <summary>The pipeline stages timed per image.</summary>
internal enum Stage { Fetch, Decode, Preprocess, Queue, Inference }

/// <summary>Request counts and per-stage latency histograms, written as Prometheus text at <c>/metrics</c>.</summary>
internal sealed class ServiceMetrics
{
    private readonly ConcurrentDictionary<(string Route, string Method, int Status), long> _requests = new();
    private readonly ConcurrentDictionary<string, Histogram> _requestSeconds = new(StringComparer.Ordinal);
    private readonly Histogram[] _stages = Enum.GetValues<Stage>().Select(_ => new Histogram()).ToArray();
    private long _images;

    public void CountRequest(string route, string method, int status, TimeSpan duration)
    {
        _requests.AddOrUpdate((route, method, status), 1, static (_, n) => n + 1);
        _requestSeconds.GetOrAdd(route, static _ => new Histogram()).Observe(duration);
    }

    public void ObserveStage(Stage stage, TimeSpan duration) => _stages[(int)stage].Observe(duration);

    public void ObserveEmbedding(EmbeddingTimings timings)
    {
        Interlocked.Increment(ref _images);
        ObserveStage(Stage.Decode, timings.Decode);
        ObserveStage(Stage.Preprocess, timings.Preprocess);
        ObserveStage(Stage.Queue, timings.Queue);
        ObserveStage(Stage.Inference, timings.Inference);
    }

    public void WriteTo(TextWriter writer, EmbeddingEngine engine)
    {
        writer.WriteLine("# HELP imageembed_requests_total HTTP requests by route, method and status.");
        writer.WriteLine("# TYPE imageembed_requests_total counter");
        foreach (((string route, string method, int status), long count) in _requests.OrderBy(kv => kv.Key))
            writer.WriteLine($"imageembed_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {count}");

        writer.WriteLine("# HELP imageembed_request_duration_seconds HTTP request latency by route.");
        writer.WriteLine("# TYPE imageembed_request_duration_seconds histogram");
        foreach ((string route, Histogram h) in _requestSeconds.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            h.WriteTo(writer, "imageembed_request_duration_seconds", $"route=\"{route}\"");

        writer.WriteLine("# HELP imageembed_stage_duration_seconds Per-image time in each pipeline stage (fetch, decode, preprocess, queue, inference).");
        writer.WriteLine("# TYPE imageembed_stage_duration_seconds histogram");
        foreach (Stage stage in Enum.GetValues<Stage>())
            _stages[(int)stage].WriteTo(writer, "imageembed_stage_duration_seconds", $"stage=\"{stage.ToString().ToLowerInvariant()}\"");

        writer.WriteLine("# HELP imageembed_images_embedded_total Images embedded.");
        writer.WriteLine("# TYPE imageembed_images_embedded_total counter");
        writer.WriteLine($"imageembed_images_embedded_total {Volatile.Read(ref _images)}");

        writer.WriteLine("# HELP imageembed_queue_length Images waiting for inference, per model.");
        writer.WriteLine("# TYPE imageembed_queue_length gauge");
        foreach (LoadedModel model in engine.Loaded)
            writer.WriteLine($"imageembed_queue_length{{model=\"{model.Name}\"}} {model.Batcher.QueueLength.ToString(CultureInfo.InvariantCulture)}");
    }
}
