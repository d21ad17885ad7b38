using ImageEmbed.Imaging.Fingerprint;

namespace ImageEmbed.Storage.Content;

/// <summary>
/// What is known about image contents by SHA-256: fingerprints (thumbnail, perceptual hash) and embeddings per
/// embedding space. <see cref="ContentCache"/> keeps them in the data folder, for one machine;
/// <see cref="PgVector.PgVectorStore"/> keeps them in PostgreSQL beside the collections, so every node sharing the
/// database serves every item's thumbnail and reuses every node's embeddings. Entries are immutable: a second put of
/// the same key keeps the first.
/// </summary>
public interface IContentCache
{
    Task<ImageFingerprint?> GetFingerprintAsync(string contentHash, CancellationToken ct = default);

    /// <summary>The JPEG thumbnail alone (what the thumbnail route serves), or null.</summary>
    Task<byte[]?> GetThumbnailAsync(string contentHash, CancellationToken ct = default);

    Task PutFingerprintAsync(ImageFingerprint fingerprint, CancellationToken ct = default);

    /// <summary>The embedding exactly as stored (float32, bit-identical), or null.</summary>
    Task<float[]?> GetEmbeddingAsync(string space, string contentHash, CancellationToken ct = default);

    Task PutEmbeddingAsync(string space, string contentHash, float[] vector, CancellationToken ct = default);
}
