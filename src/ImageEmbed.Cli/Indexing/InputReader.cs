using ImageEmbed.Cli.Infrastructure;
using ImageEmbed.Imaging;
using ImageEmbed.Imaging.Intake;

namespace ImageEmbed.Cli.Indexing;

/// <summary>
/// Reads an input's bytes: a local file up to <c>IMAGEEMBED_MAX_BYTES</c>, or an http(s) URL through the
/// same SSRF-safe fetcher the service uses (private addresses refused unless allowed by the settings).
/// </summary>
internal sealed class InputReader : IDisposable
{
    private readonly ImagingOptions _imaging = Settings.Imaging();
    private readonly Lazy<UrlFetcher> _fetcher;

    public InputReader() => _fetcher = new(() => new UrlFetcher(_imaging));

    /// <exception cref="ImagePayloadTooLargeException">Over the byte limit.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    /// <exception cref="InvalidImageSourceException">The URL is refused.</exception>
    /// <exception cref="ImageFetchException">The remote server failed.</exception>
    public async Task<byte[]> ReadAsync(string location, CancellationToken ct)
    {
        if (IndexInputs.IsUrl(location)) return await _fetcher.Value.FetchAsync(location, ct).ConfigureAwait(false);
        long length = new FileInfo(location).Length;
        if (length > _imaging.MaxBytes)
            throw new ImagePayloadTooLargeException($"The file is {length:N0} bytes; the limit is {_imaging.MaxBytes:N0} (IMAGEEMBED_MAX_BYTES).");
        return await File.ReadAllBytesAsync(location, ct).ConfigureAwait(false);
    }

    public void Dispose()
    {
        if (_fetcher.IsValueCreated) _fetcher.Value.Dispose();
    }
}
