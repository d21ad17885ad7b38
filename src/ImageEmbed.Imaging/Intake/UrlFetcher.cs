using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;

namespace ImageEmbed.Imaging.Intake;

/// <summary>
/// Downloads images from http(s) URLs on behalf of clients, without becoming a proxy into the
/// server's own network: every connection goes to an address that was resolved and checked by
/// <see cref="AddressPolicy"/> in the same step (so DNS rebinding cannot swap it), redirects are
/// followed by hand and each hop is checked again, no proxy is used, nothing is decompressed, and
/// the body is cut off at <see cref="ImagingOptions.MaxBytes"/>. Thread-safe; one per process.
/// </summary>
public sealed class UrlFetcher : IDisposable
{
    private readonly ImagingOptions _options;
    private readonly IHostResolver _resolver;
    private readonly HttpClient _client;
    private readonly HashSet<string> _privateHosts;

    public UrlFetcher(ImagingOptions options, IHostResolver? resolver = null)
    {
        _options = options;
        _resolver = resolver ?? SystemHostResolver.Instance;
        _privateHosts = new HashSet<string>(options.AllowedPrivateHosts.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), StringComparer.OrdinalIgnoreCase);
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = TimeSpan.FromMilliseconds(options.FetchConnectTimeoutMs),
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
            MaxResponseHeadersLength = 64, // KiB
            ConnectCallback = ConnectAsync,
        };
        _client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        _client.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("ImageEmbed", "1.0"));
        _client.DefaultRequestHeaders.Accept.ParseAdd("image/*");
    }

    /// <summary>Downloads <paramref name="url"/>.</summary>
    /// <exception cref="InvalidImageSourceException">Not http(s), or a redirect to something else.</exception>
    /// <exception cref="BlockedAddressException">The host resolves to a refused address; nothing was connected to.</exception>
    /// <exception cref="ImagePayloadTooLargeException">Larger than <see cref="ImagingOptions.MaxBytes"/>.</exception>
    /// <exception cref="ImageFetchException">Connection failed, error status, too many redirects.</exception>
    /// <exception cref="ImageFetchTimeoutException">Over <see cref="ImagingOptions.FetchTimeoutMs"/>.</exception>
    public async Task<byte[]> FetchAsync(string url, CancellationToken cancellationToken)
    {
        Uri current = ParseHttpUrl(url);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.FetchTimeoutMs);
        try
        {
            for (int hop = 0; ; hop++)
            {
                using HttpResponseMessage response = await SendAsync(current, timeout.Token).ConfigureAwait(false);
                if (IsRedirect(response.StatusCode))
                {
                    if (hop >= _options.MaxRedirects)
                        throw new ImageFetchException($"Too many redirects fetching the image (more than {_options.MaxRedirects}, Imaging:MaxRedirects).");
                    Uri? location = response.Headers.Location;
                    if (location is null) throw new ImageFetchException($"The image server answered {(int)response.StatusCode} without a Location.");
                    current = ParseHttpUrl(new Uri(current, location).ToString(), redirect: true);
                    continue;
                }
                if (!response.IsSuccessStatusCode)
                    throw new ImageFetchException($"The image server answered {(int)response.StatusCode} {response.ReasonPhrase} for {Describe(current)}.");
                return await ReadCappedAsync(response, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new ImageFetchTimeoutException($"The image server did not answer within {_options.FetchTimeoutMs} ms (Imaging:FetchTimeoutMs).");
        }
    }

    public void Dispose() => _client.Dispose();

    /// <summary>
    /// GETs <paramref name="url"/>, once more after a short pause when the connection fails: servers with a small
    /// accept backlog (Python's http.server queues 5) reset connections under a burst, and a GET is safe to repeat.
    /// </summary>
    private async Task<HttpResponseMessage> SendAsync(Uri url, CancellationToken ct)
    {
        for (int attempt = 1; ; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            try
            {
                return await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            }
            catch (HttpRequestException e) when (e.InnerException is BlockedAddressException blocked)
            {
                throw blocked;
            }
            catch (HttpRequestException e) when (e.InnerException is OperationCanceledException && ct.IsCancellationRequested)
            {
                throw new OperationCanceledException(ct);
            }
            catch (HttpRequestException e) when (!ct.IsCancellationRequested)
            {
                if (attempt < 2)
                {
                    await Task.Delay(Random.Shared.Next(100, 300), ct).ConfigureAwait(false);
                    continue;
                }
                // HttpClient's own message ("An error occurred while sending the request") hides the cause: name it.
                throw new ImageFetchException($"Could not fetch the image from {Describe(url)} (tried twice): {Cause(e)}", e);
            }
        }
    }

    private static string Cause(Exception e)
    {
        var messages = new List<string>();
        for (Exception? x = e; x is not null; x = x.InnerException) messages.Add(x.Message.TrimEnd('.'));
        return string.Join(": ", messages.Distinct()) + ".";
    }

    private async Task<byte[]> ReadCappedAsync(HttpResponseMessage response, CancellationToken ct)
    {
        await using Stream body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        try
        {
            return await CappedReader.ReadAsync(body, response.Content.Headers.ContentLength, _options.MaxBytes, ct).ConfigureAwait(false);
        }
        catch (IOException e) when (!ct.IsCancellationRequested)
        {
            throw new ImageFetchException($"The image download broke off: {e.Message}", e);
        }
    }

    /// <summary>Resolves, checks, then connects to the checked address itself: the only path to a socket.</summary>
    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        string host = context.DnsEndPoint.Host;
        IPAddress[] candidates = IPAddress.TryParse(host.Trim('[', ']'), out IPAddress? literal)
            ? [literal]
            : await ResolveAsync(host, ct).ConfigureAwait(false);
        IPAddress[] allowed = _options.AllowPrivateUrls || _privateHosts.Contains(host) ? candidates : Array.FindAll(candidates, AddressPolicy.IsPublic);
        if (allowed.Length == 0)
            throw new BlockedAddressException(
                $"The image URL's host {host} resolves to {string.Join(", ", candidates.Select(a => a.ToString()))}, a loopback, private, link-local or otherwise non-public address; refused.");

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, ct).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private async Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct)
    {
        try
        {
            return await _resolver.ResolveAsync(host, ct).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            throw new ImageFetchException($"Could not resolve the image host {host}: {e.Message}", e);
        }
    }

    private static Uri ParseHttpUrl(string url, bool redirect = false)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out Uri? uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            throw new InvalidImageSourceException(redirect
                ? "The image URL redirected to something that is not an http(s) URL; refused."
                : "The image must be an http(s) URL or a data:image/...;base64 URI.");
        if (!string.IsNullOrEmpty(uri.UserInfo)) throw new InvalidImageSourceException("Image URLs with credentials (user:password@) are not accepted.");
        return uri;
    }

    private static bool IsRedirect(HttpStatusCode code) => code is HttpStatusCode.MovedPermanently or HttpStatusCode.Found
        or HttpStatusCode.SeeOther or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;

    // Only scheme, host and path: query strings may carry signatures or tokens that must not be echoed.
    private static string Describe(Uri uri) => uri.GetLeftPart(UriPartial.Path);
}
