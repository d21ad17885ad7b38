using System.Security.Cryptography;
using System.Text;
using ImageEmbed.Storage.Keys;

namespace ImageEmbed.Service.Auth;

/// <summary>
/// The API keys the service accepts: those in <see cref="ServiceOptions.ApiKeys"/> plus those in
/// <c>api-keys.json</c> in the data folder (<see cref="ApiKeyFile"/>, edited by <c>imageembed keys</c>).
/// Only hashes are held, each with its <see cref="KeyScope"/>; a presented key is hashed and compared with every
/// stored hash in constant time.
/// The file is re-read when it changes (checked at most once a second), so a created key works and a
/// revoked one stops working without a restart.
/// </summary>
internal sealed class ApiKeyStore
{
    public const string FileName = ApiKeyFile.FileName;

    private readonly KeyHash[] _configured;
    private readonly string? _dataDirectory;
    private volatile KeyHash[] _fromFile;
    private DateTime _fileStamp;
    private long _nextCheck;

    private readonly record struct KeyHash(byte[] Sha256, KeyScope Scope);

    private ApiKeyStore(IEnumerable<KeyHash> configured, string? dataDirectory, KeyHash[] fromFile, DateTime fileStamp)
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
        var configured = ServiceOptions.ParseApiKeys(options.ApiKeys).Select(k => new KeyHash(ApiKeyFile.Hash(k.Key), k.Scope)).ToList();
        List<StoredApiKey> stored = ApiKeyFile.Read(dataDirectory);
        if (configured.Count == 0 && stored.Count == 0 && !options.NoAuth)
            (generated, _) = ApiKeyFile.Create(dataDirectory, "generated on first start");
        return new ApiKeyStore(configured, dataDirectory, ReadHashes(dataDirectory), Stamp(dataDirectory));
    }

    /// <summary>The scope of <paramref name="presented"/>, or null when it is none of the keys. Takes the same time whichever key matches, or none.</summary>
    public KeyScope? Find(ReadOnlySpan<char> presented)
    {
        if (presented.IsEmpty || presented.Length > 512) return null;
        RefreshIfChanged();
        Span<byte> utf8 = stackalloc byte[Encoding.UTF8.GetMaxByteCount(presented.Length)];
        int length = Encoding.UTF8.GetBytes(presented, utf8);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(utf8[..length], hash);
        KeyScope? match = null;
        foreach (KeyHash stored in _configured) if (CryptographicOperations.FixedTimeEquals(stored.Sha256, hash)) match = Widest(match, stored.Scope);
        foreach (KeyHash stored in _fromFile) if (CryptographicOperations.FixedTimeEquals(stored.Sha256, hash)) match = Widest(match, stored.Scope);
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

    // The same key listed twice with different scopes holds the wider one.
    private static KeyScope Widest(KeyScope? a, KeyScope b) => a is { } x && x > b ? x : b;

    private static KeyHash[] ReadHashes(string dataDirectory) =>
        ApiKeyFile.Read(dataDirectory).Select(k => new KeyHash(Convert.FromHexString(k.Sha256), k.EffectiveScope)).ToArray();

    private static DateTime Stamp(string dataDirectory) => File.GetLastWriteTimeUtc(ApiKeyFile.PathIn(dataDirectory));
}
