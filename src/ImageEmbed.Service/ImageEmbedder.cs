using System.Diagnostics;
using ImageEmbed.Imaging.Intake;
using ImageEmbed.Models;
using ImageEmbed.Service.Metrics;

namespace ImageEmbed.Service;

/// <summary>Request-side pipeline: resolve the model, read the image (URL or data URI), embed it, record stage timings.</summary>
internal sealed class ImageEmbedder(EmbeddingEngine engine, ImageSourceReader reader, ServiceMetrics metrics)
{
    public EmbeddingEngine Engine => engine;

    /// <summary>Embeds an image named by a URL or data URI. The model is resolved first, so a bad model name costs no download.</summary>
    public async Task<ImageEmbedding> EmbedReferenceAsync(string reference, string? model, CancellationToken ct)
    {
        await engine.LoadAsync(model).ConfigureAwait(false);
        long start = Stopwatch.GetTimestamp();
        ReadOnlyMemory<byte> bytes = await reader.ReadAsync(reference, ct).ConfigureAwait(false);
        if (!DataUri.IsDataUri(reference)) metrics.ObserveStage(Stage.Fetch, Stopwatch.GetElapsedTime(start));
        return await EmbedBytesAsync(bytes, model, ct).ConfigureAwait(false);
    }

    public async Task<ImageEmbedding> EmbedBytesAsync(ReadOnlyMemory<byte> bytes, string? model, CancellationToken ct)
    {
        ImageEmbedding embedding = await engine.EmbedImageAsync(bytes, model, ct).ConfigureAwait(false);
        metrics.ObserveEmbedding(embedding.Timings);
        return embedding;
    }
}
