using ImageEmbed.Imaging.Fingerprint;
using ImageEmbed.Storage.Content;

namespace ImageEmbed.Service.Hosting;

/// <summary>
/// The content cache that goes with the configured store: the store's own when it keeps one (PostgreSQL, shared by
/// every node), else the local one in the data folder. Resolved per call, since the store opens on first use.
/// </summary>
internal sealed class StoreContentCache(CollectionStoreProvider stores, ContentCache local) : IContentCache
{
    private async Task<IContentCache> TargetAsync() => await stores.GetAsync().ConfigureAwait(false) as IContentCache ?? local;

    public async Task<ImageFingerprint?> GetFingerprintAsync(string contentHash, CancellationToken ct = default) =>
        await (await TargetAsync().ConfigureAwait(false)).GetFingerprintAsync(contentHash, ct).ConfigureAwait(false);

    public async Task<byte[]?> GetThumbnailAsync(string contentHash, CancellationToken ct = default) =>
        await (await TargetAsync().ConfigureAwait(false)).GetThumbnailAsync(contentHash, ct).ConfigureAwait(false);

    public async Task PutFingerprintAsync(ImageFingerprint fingerprint, CancellationToken ct = default) =>
        await (await TargetAsync().ConfigureAwait(false)).PutFingerprintAsync(fingerprint, ct).ConfigureAwait(false);

    public async Task<float[]?> GetEmbeddingAsync(string space, string contentHash, CancellationToken ct = default) =>
        await (await TargetAsync().ConfigureAwait(false)).GetEmbeddingAsync(space, contentHash, ct).ConfigureAwait(false);

    public async Task PutEmbeddingAsync(string space, string contentHash, float[] vector, CancellationToken ct = default) =>
        await (await TargetAsync().ConfigureAwait(false)).PutEmbeddingAsync(space, contentHash, vector, ct).ConfigureAwait(false);
}
