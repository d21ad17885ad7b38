using System.Text.RegularExpressions;

namespace ImageEmbed.Storage;

/// <summary>Rules for collection names and item ids, the same for every store.</summary>
public static partial class CollectionNames
{
    public const int MaxIdLength = 512;

    /// <exception cref="InvalidStoreRequestException">Not 1-64 characters of letters, digits, '_', '-', '.', starting with a letter or digit.</exception>
    public static void Validate(string name)
    {
        if (!NamePattern().IsMatch(name))
            throw new InvalidStoreRequestException($"Collection name '{Truncate(name)}' is not valid: use 1-64 letters, digits, '_', '-' or '.', starting with a letter or digit.");
    }

    /// <exception cref="InvalidStoreRequestException">Empty, longer than <see cref="MaxIdLength"/>, or with control characters.</exception>
    public static void ValidateId(string id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > MaxIdLength || id.Any(char.IsControl))
            throw new InvalidStoreRequestException($"Item id '{Truncate(id)}' is not valid: 1-{MaxIdLength} characters, no control characters.");
    }

    private static string Truncate(string s) => s.Length > 80 ? s[..80] + "..." : s;

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
    private static partial Regex NamePattern();
}
