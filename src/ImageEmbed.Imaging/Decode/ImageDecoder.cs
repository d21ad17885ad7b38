using ImageEmbed.Imaging.Fingerprint;
using ImageEmbed.Imaging.Intake;
using ImageEmbed.Imaging.Preprocess;
using ImageEmbed.Imaging.Vips;

namespace ImageEmbed.Imaging.Decode;

/// <summary>
/// Decodes untrusted bytes into RGB pixels at a model's input size with libvips:
/// sniff → header (pixel limit) → shrink-on-load for large JPEGs → EXIF orientation → embedded ICC
/// profile to sRGB → sRGB, 8-bit → alpha flattened onto white → resize (squash, or shortest side +
/// centre crop) → RGB bytes.
/// Thread-safe; call it from as many threads as there are cores.
/// </summary>
public sealed class ImageDecoder
{
    /// <summary>
    /// Shrink-on-load leaves at least this many source pixels per output pixel on the shorter side, so the final resize
    /// still reduces by 2× or more (libvips' own thumbnail rule: the block shrink sharpens, the resize smooths it).
    /// Chosen by <c>imageembed bench --shrink-sweep</c> (docs/BENCHMARKS.md): against 1.5, photos of 700-1000 px no
    /// longer shrink by 2 with too little left (worst cosine to the full decode 0.993 → 1.0000 at 800 px), for ~1 ms more
    /// on large photos, which still decode 2× faster than in full. A larger margin buys no more: at 1,600 px and over
    /// even a 3.0 margin leaves single photos at 0.997-0.998.
    /// </summary>
    public const double ShrinkOnLoadMargin = 2.0;

    private readonly UntrustedImage _untrusted;
    private readonly double _shrinkMargin;

    public ImageDecoder(ImagingOptions options) : this(options, ShrinkOnLoadMargin)
    {
    }

    /// <param name="shrinkOnLoadMargin">Another margin than <see cref="ShrinkOnLoadMargin"/>: for measuring the rule (<c>imageembed bench --shrink-sweep</c>).</param>
    public ImageDecoder(ImagingOptions options, double shrinkOnLoadMargin)
    {
        _untrusted = new UntrustedImage(options);
        _shrinkMargin = shrinkOnLoadMargin;
    }

    /// <summary>
    /// Decodes <paramref name="encoded"/> and writes <c>recipe.Height × recipe.Width × 3</c> RGB bytes
    /// (row-major, interleaved) into <paramref name="rgb"/>.
    /// </summary>
    /// <exception cref="UnsupportedImageFormatException">Not a supported raster format.</exception>
    /// <exception cref="ImageTooLargeException">Over <see cref="ImagingOptions.MaxPixels"/>; no pixel was decoded.</exception>
    /// <exception cref="ImageDecodeException">Corrupt, truncated, or otherwise undecodable.</exception>
    public DecodedImage Decode(ReadOnlySpan<byte> encoded, ImagePreprocessing recipe, Span<byte> rgb)
    {
        CheckDestination(recipe, rgb);
        ImageFormat format = UntrustedImage.Sniff(encoded);
        return UntrustedImage.Diagnosed(encoded, format, rgb, (bytes, f, destination) => Run(bytes, f, recipe, destination));
    }

    /// <summary>
    /// <see cref="Decode"/> and <see cref="ImageFingerprinter.Compute"/> from one decode: the source is opened and decoded
    /// once, at the model's own shrink-on-load factor, then resized for the model and for the thumbnail. The model's
    /// pixels are always <see cref="Decode"/>'s, so an item's embedding is the one its file gets anywhere else. The
    /// fingerprint is <see cref="ImageFingerprinter.Compute"/>'s exactly whenever both pick the same factor (every image
    /// that is not a JPEG; 98 of the 100 dev photos). For a large JPEG the thumbnail comes from the model's decode
    /// instead of one of its own (its pHash within a bit or two), so the file is decoded once. The same errors as <see cref="Decode"/>.
    /// </summary>
    /// <exception cref="UnsupportedImageFormatException">Not a supported raster format.</exception>
    /// <exception cref="ImageTooLargeException">Over <see cref="ImagingOptions.MaxPixels"/>; no pixel was decoded.</exception>
    /// <exception cref="ImageDecodeException">Corrupt, truncated, or otherwise undecodable.</exception>
    /// <param name="contentHash">The bytes' <see cref="ContentHash"/> when the caller has it already (it is not checked); null = computed here.</param>
    public DecodedImage DecodeWithFingerprint(ReadOnlySpan<byte> encoded, ImagePreprocessing recipe, Span<byte> rgb, out ImageFingerprint fingerprint, string? contentHash = null)
    {
        CheckDestination(recipe, rgb);
        ImageFormat format = UntrustedImage.Sniff(encoded);
        string hash = contentHash ?? ContentHash.Of(encoded);
        (DecodedImage info, fingerprint) = UntrustedImage.Diagnosed(encoded, format, rgb, (bytes, f, destination) => RunWithFingerprint(bytes, f, recipe, destination, hash));
        return info;
    }

    /// <summary>The JPEG shrink-on-load factor <see cref="Decode"/> uses for a source of this size (1 when <see cref="ImagingOptions.ShrinkOnLoad"/> is off).</summary>
    public int ShrinkFactor(int width, int height, ImagePreprocessing recipe) =>
        _untrusted.Options.ShrinkOnLoad ? JpegShrinkFactor(width, height, recipe, _shrinkMargin) : 1;

    private DecodedImage Run(ReadOnlySpan<byte> encoded, ImageFormat format, ImagePreprocessing recipe, Span<byte> rgb)
    {
        var chain = new List<VipsImage>(10);
        try
        {
            return Fitted(encoded, format, recipe, rgb, chain, out _);
        }
        finally
        {
            UntrustedImage.DisposeAll(chain);
        }
    }

    private (DecodedImage, ImageFingerprint) RunWithFingerprint(ReadOnlySpan<byte> encoded, ImageFormat format, ImagePreprocessing recipe, Span<byte> rgb, string hash)
    {
        var chain = new List<VipsImage>(12);
        try
        {
            // The model's pixels exactly as Decode makes them (and a bad file fails as it does there). The loader keeps
            // what it decoded while upright lives, so the thumbnail is resized from those pixels without decoding again.
            DecodedImage info = Fitted(encoded, format, recipe, rgb, chain, out VipsImage upright);
            return (info, ImageFingerprinter.FromUpright(upright, hash, chain));
        }
        finally
        {
            UntrustedImage.DisposeAll(chain);
        }
    }

    /// <summary>Opens, decodes and resizes <paramref name="encoded"/> for the model into <paramref name="rgb"/>; <paramref name="upright"/> is the full image it came from.</summary>
    private DecodedImage Fitted(ReadOnlySpan<byte> encoded, ImageFormat format, ImagePreprocessing recipe, Span<byte> rgb, List<VipsImage> chain, out VipsImage upright)
    {
        // A 12-megapixel photo decoded in full costs ~100 ms, almost all of it thrown away by the resize to 224 px.
        upright = _untrusted.OpenUpright(encoded, format, info => ShrinkFactor(info.SourceWidth, info.SourceHeight, recipe), chain, out DecodedImage info);
        VipsImage image = UntrustedImage.Track(chain, Fit(upright, recipe));
        if (image.Width != recipe.Width || image.Height != recipe.Height || image.Bands != 3)
            throw new ImageDecodeException($"Internal resize produced {image.Width}x{image.Height}x{image.Bands}, expected {recipe.Width}x{recipe.Height}x3.");
        try
        {
            image.WriteToMemory(rgb, TimeSpan.FromMilliseconds(_untrusted.Options.DecodeTimeoutMs));
        }
        catch (TimeoutException)
        {
            throw new ImageTooCostlyException($"Decoding the {info.SourceWidth}x{info.SourceHeight} image took longer than {_untrusted.Options.DecodeTimeoutMs:N0} ms (Imaging:DecodeTimeoutMs, IMAGEEMBED_DECODE_TIMEOUT_MS); it was stopped.");
        }
        return info;
    }

    private static void CheckDestination(ImagePreprocessing recipe, Span<byte> rgb)
    {
        if (rgb.Length < recipe.PixelLength)
            throw new ArgumentException($"Destination holds {rgb.Length} bytes; {recipe.Width}x{recipe.Height} RGB needs {recipe.PixelLength}.", nameof(rgb));
    }

    /// <summary>
    /// The largest JPEG shrink-on-load factor (1, 2, 4 or 8) that keeps <see cref="ShrinkOnLoadMargin"/>
    /// source pixels per output pixel (libjpeg rounds the scaled size up, so this is a lower bound). Uses the shorter source side against the longer target side, so the
    /// answer holds whatever the EXIF orientation and resize mode.
    /// </summary>
    public static int JpegShrinkFactor(int width, int height, ImagePreprocessing recipe, double margin = ShrinkOnLoadMargin)
    {
        double need = margin * Math.Max(recipe.Width, recipe.Height);
        int shorter = Math.Min(width, height);
        int shrink = 8;
        while (shrink > 1 && (double)shorter / shrink < need) shrink /= 2;
        return shrink;
    }

    /// <summary>
    /// The size the shortest-side resize makes, as Hugging Face's CLIPImageProcessor computes it: the short side
    /// becomes the crop's size and the long side <c>int(size · long / short)</c>, truncated (500×375 → 298×224, where one
    /// common scale rounded by libvips gives 299×224 and moves every pixel of the crop by a third of a pixel).
    /// </summary>
    public static (int Width, int Height) ShortestSideSize(int width, int height, ImagePreprocessing recipe)
    {
        int size = Math.Max(recipe.Width, recipe.Height);
        return width <= height
            ? (size, Math.Max(size, (int)(size * (double)height / width)))
            : (Math.Max(size, (int)(size * (double)width / height)), size);
    }

    private static VipsImage Fit(VipsImage image, ImagePreprocessing recipe)
    {
        if (recipe.Resize == ResizeMode.Squash)
            return image.Resize((double)recipe.Width / image.Width, (double)recipe.Height / image.Height, recipe.Kernel);

        (int width, int height) = ShortestSideSize(image.Width, image.Height, recipe);
        // A short side under the crop size is enlarged on Pillow's pixel-centre grid: libvips' resize samples half a
        // source pixel away from it, 15 levels off on a 170-px photo. Reductions go through resize (antialiased).
        using VipsImage resized = width > image.Width && height > image.Height && recipe.Kernel == "cubic"
            ? image.UpscaleCentred(width, height)
            : image.Resize((double)width / image.Width, (double)height / image.Height, recipe.Kernel);
        // Floor offsets, as CLIPImageProcessor's centre crop.
        int left = Math.Max(0, (resized.Width - recipe.Width) / 2);
        int top = Math.Max(0, (resized.Height - recipe.Height) / 2);
        return resized.ExtractArea(left, top, Math.Min(recipe.Width, resized.Width), Math.Min(recipe.Height, resized.Height));
    }
}
