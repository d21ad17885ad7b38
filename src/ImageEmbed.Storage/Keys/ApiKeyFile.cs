using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ImageEmbed.Storage.Keys;

/// <summary>A stored key: only its SHA-256 (lower-case hex) is kept, never the key.</summary>
/// <param name="Scope">What the key may do; absent in files written before scopes, which means every scope.</param>
public sealed record StoredApiKey(string Id, string Sha256, DateTimeOffset Created, string? Name, KeyScope? Scope = null)
{
    public KeyScope EffectiveScope => Scope ?? KeyScope.Admin;
}

/// <summary>
/// <c>api-keys.json</c> in the data folder: the keys the service accepts besides <c>IMAGEEMBED_API_KEYS</c>.
/// Shared by the service (which reads it) and <c>imageembed keys</c> (which edits it), so both agree on the
/// format. Writes go to a temporary file that replaces the old one, readable by the owner only.
/// Not safe for two writers at once; the service only reads.
/// </summary>
public static class ApiKeyFile
{
    public const string FileName = "api-keys.json";
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter<KeyScope>(JsonNamingPolicy.CamelCase) },
    };

    public static string PathIn(string dataDirectory) => Path.Combine(dataDirectory, FileName);

    /// <summary>The stored keys; none when the file does not exist.</summary>
    /// <exception cref="InvalidDataException">The file is not a key list.</exception>
    public static List<StoredApiKey> Read(string dataDirectory)
    {
        string path = PathIn(dataDirectory);
        if (!File.Exists(path)) return [];
        try
        {
            return JsonSerializer.Deserialize<List<StoredApiKey>>(File.ReadAllText(path), s_json) ?? [];
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not a list of API keys: {e.Message}", e);
        }
    }

    public static void Write(string dataDirectory, IReadOnlyList<StoredApiKey> keys)
    {
        PrivateFiles.CreateFolder(dataDirectory);
        string path = PathIn(dataDirectory);
        string temp = path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(keys, s_json));
        PrivateFiles.RestrictFile(temp);
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Creates a key, stores its hash, and returns the key itself: the only time it is ever seen.</summary>
    public static (string Key, StoredApiKey Stored) Create(string dataDirectory, string? name, KeyScope scope = KeyScope.Admin)
    {
        List<StoredApiKey> keys = Read(dataDirectory);
        string key = NewKey();
        var stored = new StoredApiKey(Guid.NewGuid().ToString("N")[..12], Convert.ToHexStringLower(Hash(key)), DateTimeOffset.UtcNow, name, scope);
        keys.Add(stored);
        Write(dataDirectory, keys);
        return (key, stored);
    }

    /// <summary>Removes the key with this id.</summary>
    /// <returns>False when no stored key has that id.</returns>
    public static bool Revoke(string dataDirectory, string id)
    {
        List<StoredApiKey> keys = Read(dataDirectory);
        int removed = keys.RemoveAll(k => string.Equals(k.Id, id, StringComparison.Ordinal));
        if (removed == 0) return false;
        Write(dataDirectory, keys);
        return true;
    }

    /// <summary>A new random key: <c>ie_</c> + 32 base64url characters (192 bits).</summary>
    public static string NewKey() => "ie_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}
