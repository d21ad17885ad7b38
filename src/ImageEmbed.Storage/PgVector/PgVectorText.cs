using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace ImageEmbed.Storage.PgVector;

/// <summary>
/// pgvector's text form (<c>[0.1,-2.5e-07,...]</c>) and the table names derived from collection names.
/// Vectors travel as text so no pgvector type plugin is needed; both directions use shortest
/// round-trip formatting (.NET "R", pgvector's float_to_shortest_decimal), so a float comes back
/// bit for bit.
/// </summary>
internal static class PgVectorText
{
    /// <summary>Formats a vector as a pgvector literal. Values must be finite (pgvector refuses NaN and infinity).</summary>
    public static string Format(ReadOnlySpan<float> vector)
    {
        // ~12 characters per value covers "-1.2345678E-05,".
        var sb = new StringBuilder(2 + vector.Length * 12);
        sb.Append('[');
        Span<char> buffer = stackalloc char[32];
        for (int i = 0; i < vector.Length; i++)
        {
            if (i > 0) sb.Append(',');
            if (!vector[i].TryFormat(buffer, out int written, "R", CultureInfo.InvariantCulture))
                throw new InvalidOperationException("A float did not fit its format buffer.");
            sb.Append(buffer[..written]);
        }
        return sb.Append(']').ToString();
    }

    /// <summary>Parses pgvector's text output.</summary>
    /// <exception cref="FormatException">Not a <c>[...]</c> list of numbers.</exception>
    public static float[] Parse(string text)
    {
        ReadOnlySpan<char> s = text.AsSpan().Trim();
        if (s.Length < 2 || s[0] != '[' || s[^1] != ']')
            throw new FormatException($"Not a pgvector value: '{(text.Length > 40 ? text[..40] + "..." : text)}'.");
        s = s[1..^1];
        if (s.IsEmpty) return [];

        float[] result = new float[s.Count(',') + 1];
        int n = 0;
        foreach (Range r in s.Split(','))
            result[n++] = float.Parse(s[r], NumberStyles.Float, CultureInfo.InvariantCulture);
        return result;
    }

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
