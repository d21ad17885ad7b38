using System.Runtime.InteropServices;
using ImageEmbed.Imaging.Fingerprint;
using ImageEmbed.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace ImageEmbed.Storage.Content;

/// <summary>
/// What ImageEmbed knows about image contents, addressed by their SHA-256 (<c>content_hash</c>), shared
/// by the service and the CLI whichever collection store is configured: a SQLite file
/// (<see cref="FileName"/> in the data folder) holding
/// <list type="bullet">
/// <item>fingerprints: the 256 px JPEG thumbnail and perceptual hash of each image seen, and</item>
/// <item>embeddings: the vector per (embedding space, content hash), so the same bytes are never
/// embedded twice by the same model and preprocessing. The space fingerprint covers the model files,
/// the vector-shaping manifest fields and the preprocessing version, so a changed model or pipeline
/// misses the cache instead of reusing stale vectors.</item>
/// </list>
/// It is a cache: entries are immutable (same key, same value), losing the file loses only work, and
/// writes are not fsync'd (<c>synchronous=NORMAL</c>). Thread-safe: one connection, one caller at a time.
/// Calls are synchronous on purpose: each is one indexed lookup or insert in a local file, cheaper
/// than the task that would offload it.
/// </summary>
public sealed class ContentCache : IContentCache, IDisposable
{
    public const string FileName = "content-cache.db";

    private readonly SqliteDatabase _db;
    private readonly Lock _lock = new();

    private ContentCache(SqliteDatabase db) => _db = db;

    /// <summary>Opens (creating if needed) the cache in <paramref name="dataDirectory"/>. The caller disposes it.</summary>
    /// <exception cref="SqliteException">The file cannot be opened or is not a database.</exception>
    public static ContentCache Open(string dataDirectory)
    {
        PrivateFiles.CreateFolder(dataDirectory);
        SqliteDatabase db = SqliteDatabase.Open(Path.Combine(dataDirectory, FileName), """
            PRAGMA synchronous=NORMAL;
            CREATE TABLE IF NOT EXISTS thumbnails (
                content_hash TEXT PRIMARY KEY, phash INTEGER NOT NULL, width INTEGER NOT NULL, height INTEGER NOT NULL, jpeg BLOB NOT NULL) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS embeddings (
                space TEXT NOT NULL, content_hash TEXT NOT NULL, vector BLOB NOT NULL,
                PRIMARY KEY (space, content_hash)) WITHOUT ROWID;
        """);
        return new ContentCache(db);
    }

    /// <summary>The thumbnail and perceptual hash of the image with <paramref name="contentHash"/>, or null.</summary>
    public ImageFingerprint? GetFingerprint(string contentHash)
    {
        lock (_lock)
        {
            using SqliteStatement select = _db.Prepare("SELECT phash, width, height, jpeg FROM thumbnails WHERE content_hash = ?1");
            select.Bind(1, contentHash);
            return select.Step()
                ? new ImageFingerprint(contentHash, unchecked((ulong)select.GetInt64(0)), select.GetBlob(3).ToArray(), (int)select.GetInt64(1), (int)select.GetInt64(2))
                : null;
        }
    }

    /// <summary>The JPEG thumbnail of the image with <paramref name="contentHash"/>, or null.</summary>
    public byte[]? GetThumbnail(string contentHash)
    {
        lock (_lock)
        {
            using SqliteStatement select = _db.Prepare("SELECT jpeg FROM thumbnails WHERE content_hash = ?1");
            select.Bind(1, contentHash);
            return select.Step() ? select.GetBlob(0).ToArray() : null;
        }
    }

    /// <summary>Stores a fingerprint; an existing entry for the hash is kept (it describes the same bytes).</summary>
    public void PutFingerprint(ImageFingerprint fingerprint)
    {
        lock (_lock)
        {
            using SqliteStatement insert = _db.Prepare(
                "INSERT INTO thumbnails (content_hash, phash, width, height, jpeg) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (content_hash) DO NOTHING");
            insert.Bind(1, fingerprint.ContentHash).Bind(2, unchecked((long)fingerprint.PerceptualHash))
                .Bind(3, fingerprint.ThumbnailWidth).Bind(4, fingerprint.ThumbnailHeight).Bind(5, fingerprint.Thumbnail);
            insert.Step();
        }
    }

    /// <summary>The embedding of the image with <paramref name="contentHash"/> in <paramref name="space"/>, exactly as stored, or null.</summary>
    public float[]? GetEmbedding(string space, string contentHash)
    {
        lock (_lock)
        {
            using SqliteStatement select = _db.Prepare("SELECT vector FROM embeddings WHERE space = ?1 AND content_hash = ?2");
            select.Bind(1, space).Bind(2, contentHash);
            return select.Step() ? MemoryMarshal.Cast<byte, float>(select.GetBlob(0)).ToArray() : null;
        }
    }

    /// <summary>Stores an embedding (float32, bit-exact); an existing entry is kept.</summary>
    public void PutEmbedding(string space, string contentHash, ReadOnlySpan<float> vector)
    {
        lock (_lock)
        {
            using SqliteStatement insert = _db.Prepare(
                "INSERT INTO embeddings (space, content_hash, vector) VALUES (?1, ?2, ?3) ON CONFLICT (space, content_hash) DO NOTHING");
            insert.Bind(1, space).Bind(2, contentHash).Bind(3, MemoryMarshal.AsBytes(vector));
            insert.Step();
        }
    }

    // Each call is one indexed lookup or insert in a local file: done on the caller's thread (see the class remarks).
    Task<ImageFingerprint?> IContentCache.GetFingerprintAsync(string contentHash, CancellationToken ct) => Task.FromResult(GetFingerprint(contentHash));

    Task<byte[]?> IContentCache.GetThumbnailAsync(string contentHash, CancellationToken ct) => Task.FromResult(GetThumbnail(contentHash));

    Task IContentCache.PutFingerprintAsync(ImageFingerprint fingerprint, CancellationToken ct)
    {
        PutFingerprint(fingerprint);
        return Task.CompletedTask;
    }

    Task<float[]?> IContentCache.GetEmbeddingAsync(string space, string contentHash, CancellationToken ct) => Task.FromResult(GetEmbedding(space, contentHash));

    Task IContentCache.PutEmbeddingAsync(string space, string contentHash, float[] vector, CancellationToken ct)
    {
        PutEmbedding(space, contentHash, vector);
        return Task.CompletedTask;
    }

    public void Dispose() => _db.Dispose();
}
