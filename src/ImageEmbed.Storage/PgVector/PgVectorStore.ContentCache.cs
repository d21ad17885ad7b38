using System.Runtime.InteropServices;
using ImageEmbed.Imaging.Fingerprint;
using ImageEmbed.Storage.Content;
using Npgsql;

namespace ImageEmbed.Storage.PgVector;

// The content cache in the shared database (two tables beside the catalog), so thumbnails and cached embeddings
// follow the collections: whichever node ingested an image, every node serves its thumbnail.
public sealed partial class PgVectorStore : IContentCache
{
    internal const string ThumbnailsTable = "imageembed_thumbnails";
    internal const string EmbeddingsTable = "imageembed_content_embeddings";

    private static IEnumerable<string> CreateContentCacheSql() =>
    [
        $"CREATE TABLE IF NOT EXISTS {ThumbnailsTable} (content_hash text COLLATE \"C\" PRIMARY KEY, phash bigint NOT NULL, width integer NOT NULL, height integer NOT NULL, jpeg bytea NOT NULL)",
        // float32 little-endian bytes: bit-identical to what was computed, as the local cache keeps them.
        $"CREATE TABLE IF NOT EXISTS {EmbeddingsTable} (space text COLLATE \"C\" NOT NULL, content_hash text COLLATE \"C\" NOT NULL, vector bytea NOT NULL, PRIMARY KEY (space, content_hash))",
    ];

    public Task<ImageFingerprint?> GetFingerprintAsync(string contentHash, CancellationToken ct = default) =>
        RetryOnceAsync(() => QueryOneAsync($"SELECT phash, width, height, jpeg FROM {ThumbnailsTable} WHERE content_hash = $1", [contentHash],
            r => new ImageFingerprint(contentHash, unchecked((ulong)r.GetInt64(0)), r.GetFieldValue<byte[]>(3), r.GetInt32(1), r.GetInt32(2)), ct));

    public Task<byte[]?> GetThumbnailAsync(string contentHash, CancellationToken ct = default) =>
        RetryOnceAsync(() => QueryOneAsync($"SELECT jpeg FROM {ThumbnailsTable} WHERE content_hash = $1", [contentHash], r => r.GetFieldValue<byte[]>(0), ct));

    public Task PutFingerprintAsync(ImageFingerprint fingerprint, CancellationToken ct = default) =>
        RetryOnceAsync(() => ExecuteAsync($"INSERT INTO {ThumbnailsTable} (content_hash, phash, width, height, jpeg) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (content_hash) DO NOTHING",
            [fingerprint.ContentHash, unchecked((long)fingerprint.PerceptualHash), fingerprint.ThumbnailWidth, fingerprint.ThumbnailHeight, fingerprint.Thumbnail], ct));

    public Task<float[]?> GetEmbeddingAsync(string space, string contentHash, CancellationToken ct = default) =>
        RetryOnceAsync(() => QueryOneAsync($"SELECT vector FROM {EmbeddingsTable} WHERE space = $1 AND content_hash = $2", [space, contentHash],
            r => MemoryMarshal.Cast<byte, float>(r.GetFieldValue<byte[]>(0)).ToArray(), ct));

    public Task PutEmbeddingAsync(string space, string contentHash, float[] vector, CancellationToken ct = default) =>
        RetryOnceAsync(() => ExecuteAsync($"INSERT INTO {EmbeddingsTable} (space, content_hash, vector) VALUES ($1, $2, $3) ON CONFLICT (space, content_hash) DO NOTHING",
            [space, contentHash, MemoryMarshal.AsBytes(vector.AsSpan()).ToArray()], ct));

    private async Task<T?> QueryOneAsync<T>(string sql, object[] args, Func<NpgsqlDataReader, T> read, CancellationToken ct) where T : class
    {
        await EnsureSchemaAsync(ct).ConfigureAwait(false);
        NpgsqlConnection conn = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using (conn.ConfigureAwait(false))
        {
            await using var cmd = new NpgsqlCommand(sql, conn);
            foreach (object arg in args) cmd.Parameters.Add(new NpgsqlParameter { Value = arg });
            NpgsqlDataReader reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
                return await reader.ReadAsync(ct).ConfigureAwait(false) ? read(reader) : null;
        }
    }

    private async Task<bool> ExecuteAsync(string sql, object[] args, CancellationToken ct)
    {
        await EnsureSchemaAsync(ct).ConfigureAwait(false);
        NpgsqlConnection conn = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using (conn.ConfigureAwait(false))
        {
            await using var cmd = new NpgsqlCommand(sql, conn);
            foreach (object arg in args) cmd.Parameters.Add(new NpgsqlParameter { Value = arg });
            return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) > 0;
        }
    }
}
