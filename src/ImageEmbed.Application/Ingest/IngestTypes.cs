using ImageEmbed.Imaging.Fingerprint;
using ImageEmbed.Models;

namespace ImageEmbed.Application.Ingest;

/// <summary>Encoded image bytes and their SHA-256 (<see cref="ContentHash"/>), computed once and carried along.</summary>
public sealed record ImageContent(ReadOnlyMemory<byte> Bytes, string Hash)
{
    public static ImageContent Of(ReadOnlyMemory<byte> bytes) => new(bytes, ContentHash.Of(bytes.Span));
}

/// <summary>An image's embedding and fingerprint, and whether the embedding came from the cache (no inference ran).</summary>
public sealed record IngestedImage(ImageEmbedding Embedding, ImageFingerprint Fingerprint, bool EmbeddingCached);

/// <summary>What the ingest path reports as it works: stage times for metrics, and a content cache that failed.</summary>
public interface IIngestObserver
{
    /// <summary>An image was downloaded from a URL in this time.</summary>
    void Fetched(TimeSpan elapsed);

    /// <summary>An image went through the model (not for embeddings served from the cache).</summary>
    void Embedded(EmbeddingTimings timings);

    /// <summary>The content cache failed; the image was processed without it.</summary>
    void CacheFailed(Exception exception);

    /// <summary>An observer that ignores everything.</summary>
    public static IIngestObserver None { get; } = new NoObserver();

    private sealed class NoObserver : IIngestObserver
    {
        public void Fetched(TimeSpan elapsed) { }
        public void Embedded(EmbeddingTimings timings) { }
        public void CacheFailed(Exception exception) { }
    }
}
