using ImageEmbed.Imaging.Intake;
using ImageEmbed.Imaging.Preprocess;
using ImageEmbed.Native.Vips;

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
    /// Shrink-on-load leaves at least this many source pixels per output pixel on the shorter side, so the
    /// final resize still reduces by 1.5× or more and keeps its antialiasing. Measured on the reference set:
    /// at 1.0 (sharp's fastShrinkOnLoad) a 526×497 photo decoded at 1/2 and resized by only 1.1× fell to
    /// cosine 0.982; at 2.0 (sharp's default) a 12-megapixel JPEG stops at 1/4 scale and decodes ~40% slower.
    /// </summary>
    public const double ShrinkOnLoadMargin = 1.5;

    internal static readonly Lock s_diagnosis = new();
    private readonly ImagingOptions _options;
    private readonly string _loadOptions;

    public ImageDecoder(ImagingOptions options)
    {
        string[] problems = options.Validate().ToArray();
        if (problems.Length > 0) throw new ArgumentException(string.Join(" ", problems), nameof(options));
        _options = options;
        _loadOptions = "fail_on=" + options.FailOn;
        VipsRuntime.EnsureStarted();
        if (options.VipsThreadsPerImage > 0) VipsRuntime.SetConcurrency(options.VipsThreadsPerImage);
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
        if (rgb.Length < recipe.PixelLength)
            throw new ArgumentException($"Destination holds {rgb.Length} bytes; {recipe.Width}x{recipe.Height} RGB needs {recipe.PixelLength}.", nameof(rgb));
        if (encoded.IsEmpty) throw new UnsupportedImageFormatException("The image is empty (0 bytes).");
        ImageFormat format = ImageSniffer.Detect(encoded)
            ?? throw new UnsupportedImageFormatException("The data is not a supported image: expected JPEG, PNG, WebP, GIF, TIFF, AVIF or HEIF.");

        try
        {
            return Run(encoded, format, recipe, rgb);
        }
        catch (VipsException)
        {
            // libvips keeps one error buffer for the whole process: when images fail on several threads
            // at once, their messages interleave. Failures are rare, so the failing image is decoded again
            // alone, from a cleared buffer, to report its own error rather than a neighbour's.
            lock (s_diagnosis)
            {
                VipsRuntime.ClearErrors();
                try
                {
                    return Run(encoded, format, recipe, rgb);
                }
                catch (VipsException e)
                {
                    throw new ImageDecodeException($"The {FormatName(format)} image could not be decoded: {Clean(e)}", e);
                }
            }
        }
    }

    private DecodedImage Run(ReadOnlySpan<byte> encoded, ImageFormat format, ImagePreprocessing recipe, Span<byte> rgb)
    {
        var chain = new List<VipsImage>(10);
        try
        {
            VipsImage image = Track(chain, Load(encoded, format, _loadOptions));
            long pixels = (long)image.Width * image.Height;
            if (pixels > _options.MaxPixels)
                throw new ImageTooLargeException($"The image is {image.Width}x{image.Height} ({pixels:N0} pixels); the limit is {_options.MaxPixels:N0} pixels.");
            var info = new DecodedImage(format, image.Width, image.Height, image.HasAlpha, image.HasField("icc-profile-data"));

            // A 12-megapixel photo decoded in full costs ~100 ms, almost all of it thrown away by the resize
            // to 224 px; libjpeg can skip that work by decoding the DCT at 1/2, 1/4 or 1/8 scale. Only the
            // header has been read so far, so opening again with the factor decodes the pixels once.
            int shrink = format == ImageFormat.Jpeg && _options.ShrinkOnLoad ? JpegShrinkFactor(image.Width, image.Height, recipe) : 1;
            if (shrink > 1) image = Track(chain, Load(encoded, format, $"{_loadOptions},shrink={shrink}"));

            image = Track(chain, image.Autorotate());
            if (info.HadIccProfile && TryIccToSrgb(image, null) is { } transformed) image = Track(chain, transformed);
            // CMYK without a profile: libvips' built-in CMYK profile, as the reference pipeline (sharp) does.
            else if (image.IsCmyk && TryIccToSrgb(image, "cmyk") is { } fromCmyk) image = Track(chain, fromCmyk);
            image = Track(chain, image.Colourspace("srgb"));
            if (image.Format != VipsBandFormat.Uchar) image = Track(chain, image.Cast(VipsBandFormat.Uchar));
            if (image.HasAlpha) image = Track(chain, image.Flatten(255));
            if (image.Bands > 3) image = Track(chain, image.ExtractBands(0, 3));
            image = Track(chain, Fit(image, recipe));

            if (image.Width != recipe.Width || image.Height != recipe.Height || image.Bands != 3)
                throw new ImageDecodeException($"Internal resize produced {image.Width}x{image.Height}x{image.Bands}, expected {recipe.Width}x{recipe.Height}x3.");
            image.WriteToMemory(rgb);
            return info;
        }
        finally
        {
            for (int i = chain.Count - 1; i >= 0; i--) chain[i].Dispose();
        }
    }

    /// <summary>
    /// The largest JPEG shrink-on-load factor (1, 2, 4 or 8) that keeps <see cref="ShrinkOnLoadMargin"/>
    /// source pixels per output pixel (libjpeg rounds the scaled size up, so this is a lower bound). Uses the shorter source side against the longer target side, so the
    /// answer holds whatever the EXIF orientation and resize mode.
    /// </summary>
    public static int JpegShrinkFactor(int width, int height, ImagePreprocessing recipe)
    {
        double need = ShrinkOnLoadMargin * Math.Max(recipe.Width, recipe.Height);
        int shorter = Math.Min(width, height);
        int shrink = 8;
        while (shrink > 1 && (double)shorter / shrink < need) shrink /= 2;
        return shrink;
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

    internal static VipsImage? TryIccToSrgb(VipsImage image, string? inputProfile)
    {
        try
        {
            return image.IccTransform("srgb", "perceptual", depth: 8, inputProfile);
        }
        catch (VipsException)
        {
            // An embedded profile that cannot be applied (an RGB profile on a greyscale JPEG, a broken
            // profile) is skipped, as sharp does: the pixels are still usable without it.
            return null;
        }
    }

    private static VipsImage Fit(VipsImage image, ImagePreprocessing recipe)
    {
        if (recipe.Resize == ResizeMode.Squash)
            return image.Resize((double)recipe.Width / image.Width, (double)recipe.Height / image.Height, recipe.Kernel);

        double scale = Math.Max((double)recipe.Width / image.Width, (double)recipe.Height / image.Height);
        using VipsImage resized = image.Resize(scale, scale, recipe.Kernel);
        int left = Math.Max(0, (resized.Width - recipe.Width) / 2);
        int top = Math.Max(0, (resized.Height - recipe.Height) / 2);
        return resized.ExtractArea(left, top, Math.Min(recipe.Width, resized.Width), Math.Min(recipe.Height, resized.Height));
    }

    private static VipsImage Track(List<VipsImage> chain, VipsImage image)
    {
        chain.Add(image);
        return image;
    }

    internal static bool LoaderMatches(string loader, ImageFormat format) => format switch
    {
        ImageFormat.Jpeg => loader.StartsWith("VipsForeignLoadJpeg", StringComparison.Ordinal),
        ImageFormat.Png => loader.StartsWith("VipsForeignLoadPng", StringComparison.Ordinal),
        ImageFormat.Gif => loader.StartsWith("VipsForeignLoadGif", StringComparison.Ordinal) || loader.StartsWith("VipsForeignLoadNsgif", StringComparison.Ordinal),
        ImageFormat.WebP => loader.StartsWith("VipsForeignLoadWebp", StringComparison.Ordinal),
        ImageFormat.Tiff => loader.StartsWith("VipsForeignLoadTiff", StringComparison.Ordinal),
        ImageFormat.Avif or ImageFormat.Heif => loader.StartsWith("VipsForeignLoadHeif", StringComparison.Ordinal),
        _ => false,
    };

    internal static string FormatName(ImageFormat format) => format switch
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
    internal static string Clean(VipsException e) => e.NativeLines.Length > 0 ? e.NativeLines[^1] : e.Message;
}
