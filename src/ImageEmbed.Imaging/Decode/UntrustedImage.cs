using ImageEmbed.Imaging.Intake;
using ImageEmbed.Imaging.Vips;
using Enums = NetVips.Enums;

namespace ImageEmbed.Imaging.Decode;

/// <summary>One decode attempt of <see cref="UntrustedImage.Diagnosed"/>; <paramref name="state"/> may be a span.</summary>
internal delegate TResult Attempt<TState, TResult>(ReadOnlySpan<byte> encoded, ImageFormat format, TState state)
    where TState : allows ref struct;

/// <summary>
/// The front every decode of untrusted bytes shares (<see cref="ImageDecoder"/> for models,
/// <see cref="Fingerprint.ImageFingerprinter"/> for hashes and thumbnails, both at once for new collection items): sniff → header with the
/// loader checked against the sniffed format → pixel limit before any pixel work → optional JPEG
/// shrink-on-load → EXIF orientation → embedded ICC (or CMYK) to sRGB, unless the profile is sRGB already → 8-bit → alpha flattened onto
/// white → 3 bands. Every image made is added to the caller's chain, which disposes them.
/// </summary>
internal sealed class UntrustedImage
{
    /// <summary>
    /// libvips keeps one error buffer for the whole process: when images fail on several threads at once,
    /// their messages interleave. Failures are rare, so a failing image is decoded again alone, under this
    /// lock and from a cleared buffer, to report its own error rather than a neighbour's.
    /// </summary>
    public static readonly Lock Diagnosis = new();

    private readonly string _loadOptions;

    public UntrustedImage(ImagingOptions options)
    {
        string[] problems = options.Validate().ToArray();
        if (problems.Length > 0) throw new ArgumentException(string.Join(" ", problems), nameof(options));
        Options = options;
        _loadOptions = "fail_on=" + options.FailOn;
        VipsRuntime.EnsureStarted();
        // Images are decoded in parallel, each on one libvips thread (this also keeps a failing image's
        // error lines in order, so the reported cause is the specific one).
        if (options.VipsThreadsPerImage > 0) VipsRuntime.SetConcurrency(options.VipsThreadsPerImage);
    }

    public ImagingOptions Options { get; }

    /// <exception cref="UnsupportedImageFormatException">Empty, or not a supported raster format.</exception>
    public static ImageFormat Sniff(ReadOnlySpan<byte> encoded)
    {
        if (encoded.IsEmpty) throw new UnsupportedImageFormatException("The image is empty (0 bytes).");
        return ImageSniffer.Detect(encoded)
            ?? throw new UnsupportedImageFormatException("The data is not a supported image: expected JPEG, PNG, WebP, GIF, TIFF, AVIF or HEIF.");
    }

    /// <summary>
    /// Runs <paramref name="attempt"/>; when libvips fails, runs it once more alone (under <see cref="Diagnosis"/>,
    /// from a cleared error buffer) and throws that run's cause as an <see cref="ImageDecodeException"/>.
    /// </summary>
    public static TResult Diagnosed<TState, TResult>(ReadOnlySpan<byte> encoded, ImageFormat format, TState state, Attempt<TState, TResult> attempt)
        where TState : allows ref struct
    {
        try
        {
            return attempt(encoded, format, state);
        }
        catch (VipsException)
        {
            lock (Diagnosis)
            {
                VipsRuntime.ClearErrors();
                try
                {
                    return attempt(encoded, format, state);
                }
                catch (VipsException e)
                {
                    throw DecodeFailure(format, e);
                }
            }
        }
    }

    /// <summary>
    /// Header → pixel limit → JPEG shrink-on-load by <paramref name="jpegShrink"/>'s factor (1, 2, 4 or 8, from the
    /// header) → <see cref="ToUprightRgb"/>. Lazy: nothing is decoded until the caller writes pixels. The loader
    /// decodes the source once, on the first write, and keeps it while the returned image lives, so several
    /// outputs can be made from one open.
    /// </summary>
    public VipsImage OpenUpright(ReadOnlySpan<byte> encoded, ImageFormat format, Func<DecodedImage, int> jpegShrink, List<VipsImage> chain, out DecodedImage info)
    {
        VipsImage image = Open(encoded, format, chain, out info);
        int shrink = format == ImageFormat.Jpeg ? jpegShrink(info) : 1;
        if (shrink > 1) image = Reopen(encoded, format, shrink, chain);
        return ToUprightRgb(image, info, chain);
    }

    /// <summary>Reads the header (no pixels yet) and refuses images over the pixel limit.</summary>
    private VipsImage Open(ReadOnlySpan<byte> encoded, ImageFormat format, List<VipsImage> chain, out DecodedImage info)
    {
        VipsImage image = Track(chain, Load(encoded, format, _loadOptions));
        long pixels = (long)image.Width * image.Height;
        if (pixels > Options.MaxPixels)
            throw new ImageTooLargeException($"The image is {image.Width}x{image.Height} ({pixels:N0} pixels); the limit is {Options.MaxPixels:N0} pixels.");
        // What a header can make the decoder do grows with rows as much as with pixels: bound both sides and their ratio.
        int longer = Math.Max(image.Width, image.Height), shorter = Math.Min(image.Width, image.Height);
        if (longer > Options.MaxSide)
            throw new ImageTooLargeException($"The image is {image.Width}x{image.Height}; the longest side accepted is {Options.MaxSide:N0} pixels (Imaging:MaxSide, IMAGEEMBED_MAX_SIDE).");
        if (longer > (long)shorter * Options.MaxAspectRatio)
            throw new ImageTooLargeException($"The image is {image.Width}x{image.Height}, more elongated than the {Options.MaxAspectRatio}:1 accepted (Imaging:MaxAspectRatio, IMAGEEMBED_MAX_ASPECT_RATIO).");
        info = new DecodedImage(format, image.Width, image.Height, image.HasAlpha, image.HasField("icc-profile-data"));
        return image;
    }

    /// <summary>
    /// Opens the JPEG again at 1/<paramref name="shrink"/> scale: libjpeg skips most of the work of a large
    /// photo by decoding its DCT at 1/2, 1/4 or 1/8. Only the header has been read so far, so the pixels are
    /// still decoded once.
    /// </summary>
    private VipsImage Reopen(ReadOnlySpan<byte> encoded, ImageFormat format, int shrink, List<VipsImage> chain) =>
        Track(chain, Load(encoded, format, $"{_loadOptions},shrink={shrink}"));

    /// <summary>Upright, sRGB, 8-bit, alpha flattened onto white, 3 bands (lazy: nothing decoded yet).</summary>
    public static VipsImage ToUprightRgb(VipsImage image, DecodedImage info, List<VipsImage> chain)
    {
        image = Track(chain, image.Autorotate());
        if (info.HadIccProfile && !SrgbProfiles.IsSrgb(image) && TryIccToSrgb(image, null) is { } transformed) image = Track(chain, transformed);
        // CMYK without a profile: libvips' built-in CMYK profile, as the reference pipeline (sharp) does.
        else if (image.IsCmyk && TryIccToSrgb(image, "cmyk") is { } fromCmyk) image = Track(chain, fromCmyk);
        image = Track(chain, image.Colourspace(Enums.Interpretation.Srgb));
        if (image.Format != Enums.BandFormat.Uchar) image = Track(chain, image.Cast(Enums.BandFormat.Uchar));
        if (image.HasAlpha) image = Track(chain, image.Flatten(255));
        if (image.Bands > 3) image = Track(chain, image.ExtractBands(0, 3));
        return image;
    }

    private static ImageDecodeException DecodeFailure(ImageFormat format, VipsException e) =>
        new($"The {FormatName(format)} image could not be decoded: {Clean(e)}", e);

    public static VipsImage Track(List<VipsImage> chain, VipsImage image)
    {
        chain.Add(image);
        return image;
    }

    public static void DisposeAll(List<VipsImage> chain)
    {
        for (int i = chain.Count - 1; i >= 0; i--) chain[i].Dispose();
    }

    private static VipsImage Load(ReadOnlySpan<byte> encoded, ImageFormat format, string options)
    {
        VipsImage image = VipsImage.LoadFromBuffer(encoded, options, out string loader);
        // Defense in depth: the loader libvips picked must agree with what the bytes claimed to be.
        if (!LoaderMatches(loader, format))
        {
            image.Dispose();
            throw new UnsupportedImageFormatException($"The data looked like {FormatName(format)} but libvips chose loader {loader}; refused.");
        }
        return image;
    }

    private static VipsImage? TryIccToSrgb(VipsImage image, string? inputProfile)
    {
        try
        {
            return image.IccTransform("srgb", Enums.Intent.Perceptual, depth: 8, inputProfile);
        }
        catch (VipsException)
        {
            // An embedded profile that cannot be applied (an RGB profile on a greyscale JPEG, a broken
            // profile) is skipped, as sharp does: the pixels are still usable without it.
            return null;
        }
    }

    private static bool LoaderMatches(string loader, ImageFormat format) => format switch
    {
        ImageFormat.Jpeg => loader.StartsWith("VipsForeignLoadJpeg", StringComparison.Ordinal),
        ImageFormat.Png => loader.StartsWith("VipsForeignLoadPng", StringComparison.Ordinal),
        ImageFormat.Gif => loader.StartsWith("VipsForeignLoadGif", StringComparison.Ordinal) || loader.StartsWith("VipsForeignLoadNsgif", StringComparison.Ordinal),
        ImageFormat.WebP => loader.StartsWith("VipsForeignLoadWebp", StringComparison.Ordinal),
        ImageFormat.Tiff => loader.StartsWith("VipsForeignLoadTiff", StringComparison.Ordinal),
        ImageFormat.Avif or ImageFormat.Heif => loader.StartsWith("VipsForeignLoadHeif", StringComparison.Ordinal),
        _ => false,
    };

    private static string FormatName(ImageFormat format) => format switch
    {
        ImageFormat.Jpeg => "JPEG",
        ImageFormat.Png => "PNG",
        ImageFormat.Gif => "GIF",
        ImageFormat.WebP => "WebP",
        ImageFormat.Tiff => "TIFF",
        ImageFormat.Avif => "AVIF",
        _ => "HEIF",
    };

    // libvips stacks one line per failing layer (e.g. a run of "source: bad seek" before the real
    // cause); the last line is the most specific, and the one a client can act on.
    private static string Clean(VipsException e) => e.NativeLines.Length > 0 ? e.NativeLines[^1] : e.Message;
}
