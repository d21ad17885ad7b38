using System.Security.Cryptography;

namespace ImageEmbed.Imaging.Fingerprint;

/// <summary>The content address of encoded bytes: SHA-256, 64 lowercase hex digits.</summary>
public static class ContentHash
{
    public static string Of(ReadOnlySpan<byte> bytes)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(bytes, hash);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>True for 64 lowercase hex digits (what <see cref="Of"/> gives).</summary>
    public static bool IsValid(string? text) =>
        text is { Length: 64 } && text.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');
}
