namespace ImageEmbed.Imaging.Intake;

/// <summary><c>data:image/...;base64,...</c> URIs. The declared media type is only checked to be an image; the bytes decide the format.</summary>
public static class DataUri
{
    public static bool IsDataUri(string reference) => reference.StartsWith("data:", StringComparison.OrdinalIgnoreCase);

    /// <summary>Decodes the payload.</summary>
    /// <exception cref="InvalidImageSourceException">Not a base64 image data URI.</exception>
    /// <exception cref="ImagePayloadTooLargeException">The decoded payload would exceed <paramref name="maxBytes"/>.</exception>
    public static ReadOnlyMemory<byte> Decode(string reference, long maxBytes)
    {
        int comma = reference.IndexOf(',');
        if (!IsDataUri(reference) || comma < 0)
            throw new InvalidImageSourceException("Malformed data URI: expected data:image/<type>;base64,<data>.");
        ReadOnlySpan<char> header = reference.AsSpan(5, comma - 5);
        if (!header.StartsWith("image/", StringComparison.OrdinalIgnoreCase))
            throw new InvalidImageSourceException("Data URI must have an image media type (data:image/<type>;base64,...).");
        if (!header.EndsWith(";base64", StringComparison.OrdinalIgnoreCase))
            throw new InvalidImageSourceException("Data URI must be base64-encoded (data:image/<type>;base64,...).");

        ReadOnlySpan<char> payload = reference.AsSpan(comma + 1);
        long decodedMax = (long)payload.Length * 3 / 4;
        if (decodedMax > maxBytes + 2)
            throw new ImagePayloadTooLargeException($"The data URI holds about {decodedMax:N0} bytes; the limit is {maxBytes:N0} (IMAGEEMBED_MAX_BYTES).");
        byte[] buffer = new byte[decodedMax + 3];
        if (!Convert.TryFromBase64Chars(payload, buffer, out int written))
            throw new InvalidImageSourceException("Data URI payload is not valid base64.");
        if (written > maxBytes)
            throw new ImagePayloadTooLargeException($"The data URI holds {written:N0} bytes; the limit is {maxBytes:N0} (IMAGEEMBED_MAX_BYTES).");
        return buffer.AsMemory(0, written);
    }
}
