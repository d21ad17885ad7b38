using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace ImageEmbed.Service.Auth;

/// <summary>A stored key: only its SHA-256 is kept, never the key.</summary>
internal sealed record StoredApiKey(string Id, string Sha256, DateTimeOffset Created, string? Name);

/// <summary>
/// The API keys the service accepts: those in <see cref="ServiceOptions.ApiKeys"/> plus those in
/// <c>api-keys.json</c> in the data folder. Only hashes are held; a presented key is hashed and
/// compared with every stored hash in constant time.
/// </summary>
internal sealed class ApiKeyStore
{
    public const string FileName = "api-keys.json";
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private readonly byte[][] _hashes;

    private ApiKeyStore(IEnumerable<byte[]> hashes) => _hashes = hashes.ToArray();

    public int Count => _hashes.Length;

    /// <summary>Loads keys; when there are none at all, creates one, stores its hash, and returns it in <paramref name="generated"/> to be shown once.</summary>
    public static ApiKeyStore Load(ServiceOptions options, string dataDirectory, out string? generated)
    {
        generated = null;
        var hashes = options.ApiKeys.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Hash).ToList();
        string path = Path.Combine(dataDirectory, FileName);
        List<StoredApiKey> stored = File.Exists(path)
            ? JsonSerializer.Deserialize<List<StoredApiKey>>(File.ReadAllText(path), s_json) ?? []
            : [];
        hashes.AddRange(stored.Select(k => Convert.FromHexString(k.Sha256)));

        if (hashes.Count == 0 && !options.NoAuth)
        {
            generated = "ie_" + Base64Url(RandomNumberGenerator.GetBytes(24));
            stored.Add(new StoredApiKey(Guid.NewGuid().ToString("N")[..12], Convert.ToHexStringLower(Hash(generated)), DateTimeOffset.UtcNow, "generated on first start"));
            Directory.CreateDirectory(dataDirectory);
            string temp = path + ".tmp";
            File.WriteAllText(temp, JsonSerializer.Serialize(stored, s_json));
            File.Move(temp, path, overwrite: true);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            hashes.Add(Hash(generated));
        }
        return new ApiKeyStore(hashes);
    }

    /// <summary>True when <paramref name="presented"/> is one of the keys. Takes the same time whichever key matches, or none.</summary>
    public bool IsValid(ReadOnlySpan<char> presented)
    {
        if (presented.IsEmpty || presented.Length > 512) return false;
        Span<byte> utf8 = stackalloc byte[Encoding.UTF8.GetMaxByteCount(presented.Length)];
        int length = Encoding.UTF8.GetBytes(presented, utf8);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(utf8[..length], hash);
        bool match = false;
        foreach (byte[] stored in _hashes) match |= CryptographicOperations.FixedTimeEquals(stored, hash);
        return match;
    }

    /// <summary>A short, non-reversible tag for a presented key, to partition rate limits without keeping the key.</summary>
    public static string Tag(ReadOnlySpan<char> presented) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(presented.ToString())))[..16];

    private static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
