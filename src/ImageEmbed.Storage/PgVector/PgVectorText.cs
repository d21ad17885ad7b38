using System.Security.Cryptography;
using System.Text;

namespace ImageEmbed.Storage.PgVector;

/// <summary>
/// The table names derived from collection names (vectors travel in binary through the Pgvector plugin).
/// </summary>
internal static class PgVectorText
{
    /// <summary>
    /// The items table of a collection: <c>ie_items_</c> plus 32 hex digits of SHA-256 of the name.
    /// Never user text, so it needs no quoting; 41 characters, under PostgreSQL's 63-byte limit.
    /// </summary>
    public static string TableName(string collection)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(collection), hash);
        return "ie_items_" + Convert.ToHexStringLower(hash[..16]);
    }
}
