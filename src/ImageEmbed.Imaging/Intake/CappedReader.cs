namespace ImageEmbed.Imaging.Intake;

/// <summary>Reads a stream of untrusted length into memory, refusing it as soon as it passes a limit.</summary>
public static class CappedReader
{
    /// <exception cref="ImagePayloadTooLargeException">The declared or actual length exceeds <paramref name="maxBytes"/>.</exception>
    public static async Task<byte[]> ReadAsync(Stream stream, long? declaredLength, long maxBytes, CancellationToken ct)
    {
        if (declaredLength > maxBytes)
            throw new ImagePayloadTooLargeException($"The image is {declaredLength:N0} bytes; the limit is {maxBytes:N0} (IMAGEEMBED_MAX_BYTES).");
        using var buffer = new MemoryStream(declaredLength is long known ? (int)known : 64 * 1024);
        byte[] chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > maxBytes)
                throw new ImagePayloadTooLargeException($"The image is larger than the limit of {maxBytes:N0} bytes (IMAGEEMBED_MAX_BYTES).");
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}
