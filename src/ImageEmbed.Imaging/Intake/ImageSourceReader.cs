namespace ImageEmbed.Imaging.Intake;

/// <summary>Turns an image reference from a request (http(s) URL or data URI) into encoded bytes.</summary>
public sealed class ImageSourceReader(UrlFetcher fetcher, ImagingOptions options)
{
    /// <exception cref="InvalidImageSourceException">Neither an http(s) URL nor a base64 image data URI, or refused.</exception>
    /// <exception cref="ImagePayloadTooLargeException">Over <see cref="ImagingOptions.MaxBytes"/>.</exception>
    /// <exception cref="ImageFetchException">The remote server failed.</exception>
    /// <exception cref="ImageFetchTimeoutException">The remote server was too slow.</exception>
    public async Task<ReadOnlyMemory<byte>> ReadAsync(string reference, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(reference)) throw new InvalidImageSourceException("The image reference is empty.");
        if (DataUri.IsDataUri(reference)) return DataUri.Decode(reference, options.MaxBytes);
        return await fetcher.FetchAsync(reference.Trim(), cancellationToken).ConfigureAwait(false);
    }
}
