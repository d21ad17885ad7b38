namespace ImageEmbed.Imaging;

/// <summary>Limits and settings for image decoding. Bound from the <c>Imaging</c> section / <c>IMAGEEMBED_</c> variables.</summary>
public sealed class ImagingOptions
{
    /// <summary>
    /// Largest width × height accepted, checked from the header before any pixel is decoded.
    /// Defaults to 100,000,000 (100 megapixels). Must be positive.
    /// </summary>
    public long MaxPixels { get; set; } = 100_000_000;

    /// <summary>
    /// Longest side accepted, in pixels, checked from the header (<c>IMAGEEMBED_MAX_SIDE</c>). Defaults to 32,768.
    /// Decoding cost grows with the number of rows, not only with pixels: a 1 × 50,000,000 PNG is under the pixel
    /// limit and took ~55 s to decode.
    /// </summary>
    public int MaxSide { get; set; } = 32_768;

    /// <summary>
    /// Most elongated image accepted, longer side : shorter side (<c>IMAGEEMBED_MAX_ASPECT_RATIO</c>). Defaults to
    /// 100 (panoramas are ~10:1, long screenshots ~40:1); a model sees a centre crop anyway.
    /// </summary>
    public int MaxAspectRatio { get; set; } = 100;

    /// <summary>
    /// Longest time one image's decode may take, in milliseconds (<c>IMAGEEMBED_DECODE_TIMEOUT_MS</c>): past it
    /// libvips is stopped, the decode slot is freed and the request gets a 422. Defaults to 10,000; a 12-megapixel
    /// photo takes ~12 ms.
    /// </summary>
    public int DecodeTimeoutMs { get; set; } = 10_000;

    /// <summary>Largest encoded image accepted, in bytes (upload, download or file). Defaults to 50 MiB. Must be positive.</summary>
    public long MaxBytes { get; set; } = 50L * 1024 * 1024;

    /// <summary>
    /// What makes libvips give up on damaged data: <c>none</c>, <c>truncated</c>, <c>error</c> or <c>warning</c>.
    /// Defaults to <c>warning</c> (as sharp does): a truncated or damaged file is an error rather than a
    /// silently grey-filled image, which would give a wrong embedding.
    /// </summary>
    public string FailOn { get; set; } = "warning";

    /// <summary>
    /// Decode large JPEGs at 1/2, 1/4 or 1/8 scale in libjpeg (shrink-on-load) when 2 source pixels per
    /// output pixel remain on the shorter side. Defaults to true: a 12-megapixel photo then decodes about twice as
    /// fast; embeddings stay within a median cosine 0.9991 of a full decode, the worst photo 0.994 (docs/BENCHMARKS.md).
    /// </summary>
    public bool ShrinkOnLoad { get; set; } = true;

    /// <summary>Images decoded at once, process-wide. 0 = one per core. More only adds contention: decoding is CPU-bound.</summary>
    public int DecodeConcurrency { get; set; }

    /// <summary>Threads libvips may use inside one image's pipeline. Defaults to 1: images are decoded in parallel instead.</summary>
    public int VipsThreadsPerImage { get; set; } = 1;

    /// <summary>
    /// Allow image URLs that resolve to loopback, private, link-local or unique-local addresses
    /// (<c>IMAGEEMBED_ALLOW_PRIVATE_URLS</c>). Defaults to false: a URL is a request to connect somewhere on
    /// the server's behalf, and private addresses are the server's own network.
    /// </summary>
    public bool AllowPrivateUrls { get; set; }

    /// <summary>
    /// Host names that may resolve to private addresses even when <see cref="AllowPrivateUrls"/> is false,
    /// comma-separated (e.g. an internal image CDN). Everything else stays refused. Defaults to none.
    /// </summary>
    public string AllowedPrivateHosts { get; set; } = "";

    /// <summary>Milliseconds to wait for a TCP connection to an image server. Defaults to 5000.</summary>
    public int FetchConnectTimeoutMs { get; set; } = 5000;

    /// <summary>Milliseconds for a whole image download, redirects included. Defaults to 20000.</summary>
    public int FetchTimeoutMs { get; set; } = 20000;

    /// <summary>Redirects followed per download; each target is checked again. Defaults to 3.</summary>
    public int MaxRedirects { get; set; } = 3;

    /// <summary>Problems with these settings, each naming the key and value; empty when valid.</summary>
    public IEnumerable<string> Validate()
    {
        if (MaxPixels <= 0) yield return $"Imaging:MaxPixels must be positive (was {MaxPixels}).";
        if (MaxSide <= 0) yield return $"Imaging:MaxSide must be positive (was {MaxSide}).";
        if (MaxAspectRatio < 1) yield return $"Imaging:MaxAspectRatio must be at least 1 (was {MaxAspectRatio}).";
        if (DecodeTimeoutMs <= 0) yield return $"Imaging:DecodeTimeoutMs must be positive (was {DecodeTimeoutMs}).";
        if (MaxBytes <= 0) yield return $"Imaging:MaxBytes must be positive (was {MaxBytes}).";
        if (FailOn is not ("none" or "truncated" or "error" or "warning"))
            yield return $"Imaging:FailOn must be none, truncated, error or warning (was '{FailOn}').";
        if (FetchConnectTimeoutMs <= 0) yield return $"Imaging:FetchConnectTimeoutMs must be positive (was {FetchConnectTimeoutMs}).";
        if (FetchTimeoutMs <= 0) yield return $"Imaging:FetchTimeoutMs must be positive (was {FetchTimeoutMs}).";
        if (MaxRedirects is < 0 or > 10) yield return $"Imaging:MaxRedirects must be within 0..10 (was {MaxRedirects}).";
        if (DecodeConcurrency < 0) yield return $"Imaging:DecodeConcurrency must be 0 (one per core) or more (was {DecodeConcurrency}).";
        if (VipsThreadsPerImage < 0) yield return $"Imaging:VipsThreadsPerImage must be 0 (libvips default) or more (was {VipsThreadsPerImage}).";
    }
}
