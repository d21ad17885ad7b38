using System.Security.Cryptography;
using System.Text;
using ImageEmbed.Storage.Keys;

namespace ImageEmbed.Service.Auth;

/// <summary>
/// The API keys the service accepts: those in <see cref="ServiceOptions.ApiKeys"/> plus those in
/// <c>api-keys.json</c> in the data folder (<see cref="ApiKeyFile"/>, edited by <c>imageembed keys</c>).
/// Only hashes are held; a presented key is hashed and compared with every stored hash in constant time.
/// The file is re-read when it changes (checked at most once a second), so a created key works and a
/// revoked one stops working without a restart.
/// </summary>
internal sealed class ApiKeyStore
{
    public const string FileName = ApiKeyFile.FileName;

    private readonly byte[][] _configured;
    private readonly string? _dataDirectory;
    private volatile byte[][] _fromFile;
    private DateTime _fileStamp;
    private long _nextCheck;

    private ApiKeyStore(IEnumerable<byte[]> configured, string? dataDirectory, byte[][] fromFile, DateTime fileStamp)
    {
        _configured = configured.ToArray();
        _dataDirectory = dataDirectory;
        _fromFile = fromFile;
        _fileStamp = fileStamp;
    }

    public int Count => _configured.Length + _fromFile.Length;

    /// <summary>Loads keys; when there are none at all, creates one, stores its hash, and returns it in <paramref name="generated"/> to be shown once.</summary>
    public static ApiKeyStore Load(ServiceOptions options, string dataDirectory, out string? generated)
    {
        generated = null;
        var configured = options.ApiKeys.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(ApiKeyFile.Hash).ToList();
        List<StoredApiKey> stored = ApiKeyFile.Read(dataDirectory);
        if (configured.Count == 0 && stored.Count == 0 && !options.NoAuth)
            (generated, _) = ApiKeyFile.Create(dataDirectory, "generated on first start");
        return new ApiKeyStore(configured, dataDirectory, ReadHashes(dataDirectory), Stamp(dataDirectory));
    }

    /// <summary>True when <paramref name="presented"/> is one of the keys. Takes the same time whichever key matches, or none.</summary>
    public bool IsValid(ReadOnlySpan<char> presented)
    {
        if (presented.IsEmpty || presented.Length > 512) return false;
        RefreshIfChanged();
        Span<byte> utf8 = stackalloc byte[Encoding.UTF8.GetMaxByteCount(presented.Length)];
        int length = Encoding.UTF8.GetBytes(presented, utf8);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(utf8[..length], hash);
        bool match = false;
        foreach (byte[] stored in _configured) match |= CryptographicOperations.FixedTimeEquals(stored, hash);
        foreach (byte[] stored in _fromFile) match |= CryptographicOperations.FixedTimeEquals(stored, hash);
        return match;
    }

    /// <summary>A short, non-reversible tag for a presented key, to partition rate limits without keeping the key.</summary>
    public static string Tag(ReadOnlySpan<char> presented) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(presented.ToString())))[..16];

    private void RefreshIfChanged()
    {
        long now = Environment.TickCount64;
        if (_dataDirectory is null || now < Interlocked.Read(ref _nextCheck)) return;
        Interlocked.Exchange(ref _nextCheck, now + 1000);
        DateTime stamp = Stamp(_dataDirectory);
        if (stamp == _fileStamp) return;
        try
        {
            _fromFile = ReadHashes(_dataDirectory);
            _fileStamp = stamp;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            // Half-written or unreadable: keep the last good list and look again on the next check.
        }
    }

    private static byte[][] ReadHashes(string dataDirectory) =>
        ApiKeyFile.Read(dataDirectory).Select(k => Convert.FromHexString(k.Sha256)).ToArray();

    private static DateTime Stamp(string dataDirectory) => File.GetLastWriteTimeUtc(ApiKeyFile.PathIn(dataDirectory));
}
