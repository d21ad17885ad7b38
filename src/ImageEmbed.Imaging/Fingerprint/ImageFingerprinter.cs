using ImageEmbed.Imaging.Decode;
using ImageEmbed.Imaging.Intake;
using ImageEmbed.Native.Vips;

namespace ImageEmbed.Imaging.Fingerprint;

/// <summary>
/// Fingerprints untrusted encoded bytes (<see cref="ImageFingerprint"/>): content hash, perceptual hash
/// and thumbnail, from one decode. The same safety rules as <see cref="ImageDecoder"/> (it shares its
/// steps): the format is sniffed, the loader must agree, the pixel limit is checked from the header
/// before any pixel work, <see cref="ImagingOptions.FailOn"/> applies. Thread-safe.
/// </summary>
public sealed class ImageFingerprinter
{
    /// <summary>Longest side of a thumbnail, in pixels.</summary>
    public const int ThumbnailSize = 256;

    /// <summary>JPEG quality of thumbnails: small files that still look right in a grid.</summary>
    public const int ThumbnailQuality = 80;

    private readonly ImagingOptions _options;
    private readonly string _loadOptions;

    public ImageFingerprinter(ImagingOptions options)
    {
        string[] problems = options.Validate().ToArray();
        if (problems.Length > 0) throw new ArgumentException(string.Join(" ", problems), nameof(options));
        _options = options;
        _loadOptions = "fail_on=" + options.FailOn;
        VipsRuntime.EnsureStarted();
        // As ImageDecoder: images are fingerprinted in parallel, each on one libvips thread. (This also
        // keeps a failing image's error lines in order, so the reported cause is the specific one.)
        if (options.VipsThreadsPerImage > 0) VipsRuntime.SetConcurrency(options.VipsThreadsPerImage);
    }

    /// <summary>Fingerprints <paramref name="encoded"/>. CPU-bound (one decode); call it off the request thread.</summary>
    /// <exception cref="UnsupportedImageFormatException">Not a supported raster format.</exception>
    /// <exception cref="ImageTooLargeException">Over <see cref="ImagingOptions.MaxPixels"/>; no pixel was decoded.</exception>
    /// <exception cref="ImageDecodeException">Corrupt, truncated, or otherwise undecodable.</exception>
    public ImageFingerprint Compute(ReadOnlySpan<byte> encoded)
    {
        if (encoded.IsEmpty) throw new UnsupportedImageFormatException("The image is empty (0 bytes).");
        ImageFormat format = ImageSniffer.Detect(encoded)
            ?? throw new UnsupportedImageFormatException("The data is not a supported image: expected JPEG, PNG, WebP, GIF, TIFF, AVIF or HEIF.");
        string hash = ContentHash.Of(encoded);
        try
        {
            return Run(encoded, format, hash);
        }
        catch (VipsException)
        {
            // As in ImageDecoder (and under its lock): libvips' error buffer is process-wide, so the
            // failing image is decoded again alone to report its own error.
            lock (ImageDecoder.s_diagnosis)
            {
                VipsRuntime.ClearErrors();
                try
                {
                    return Run(encoded, format, hash);
                }
                catch (VipsException e)
                {
                    throw new ImageDecodeException($"The {ImageDecoder.FormatName(format)} image could not be decoded: {ImageDecoder.Clean(e)}", e);
                }
            }
        }
    }

    private ImageFingerprint Run(ReadOnlySpan<byte> encoded, ImageFormat format, string hash)
    {
        byte[] rgb;
        int width, height;
        using (VipsImage thumbnail = Thumbnail(encoded, format))
        {
            (width, height) = (thumbnail.Width, thumbnail.Height);
            if (thumbnail.Bands != 3 || thumbnail.Format != VipsBandFormat.Uchar)
                throw new ImageDecodeException($"Internal thumbnail has {thumbnail.Bands} bands of {thumbnail.Format}, expected 3 of uchar.");
            // Computed once into memory: both the JPEG and the hash are made from these pixels, so the
            // source is decoded once, not once per output.
            rgb = new byte[width * height * 3];
            thumbnail.WriteToMemory(rgb);
        }

        using VipsImage pixels = VipsImage.FromPixels(rgb, width, height, 3);
        byte[] jpeg = pixels.WriteToBuffer($".jpg[Q={ThumbnailQuality}]");
        using VipsImage gray = pixels.Colourspace("b-w");
        using VipsImage square = gray.Resize((double)PerceptualHash.InputSize / width, (double)PerceptualHash.InputSize / height, "linear");
        Span<byte> small = stackalloc byte[PerceptualHash.InputSize * PerceptualHash.InputSize];
        if (square.Width != PerceptualHash.InputSize || square.Height != PerceptualHash.InputSize || square.Bands != 1)
            throw new ImageDecodeException($"Internal resize produced {square.Width}x{square.Height}x{square.Bands}, expected {PerceptualHash.InputSize}x{PerceptualHash.InputSize}x1.");
        square.WriteToMemory(small);
        return new ImageFingerprint(hash, PerceptualHash.Compute(small), jpeg, width, height);
    }

    /// <summary>The upright sRGB 8-bit RGB image, alpha flattened onto white, longest side at most <see cref="ThumbnailSize"/> (lazy: nothing decoded yet).</summary>
    private VipsImage Thumbnail(ReadOnlySpan<byte> encoded, ImageFormat format)
    {
        var chain = new List<VipsImage>(10);
        try
        {
            VipsImage image = Track(chain, Load(encoded, format, _loadOptions));
            long pixels = (long)image.Width * image.Height;
            if (pixels > _options.MaxPixels)
                throw new ImageTooLargeException($"The image is {image.Width}x{image.Height} ({pixels:N0} pixels); the limit is {_options.MaxPixels:N0} pixels.");
            bool hadIcc = image.HasField("icc-profile-data");

            // Shrink-on-load: a JPEG decodes at 1/2, 1/4 or 1/8 scale for little more than the cost of
            // the smaller image; keep at least twice the thumbnail size for a clean final resize.
            int shrink = 1;
            if (format == ImageFormat.Jpeg)
                while (shrink < 8 && Math.Max(image.Width, image.Height) / (shrink * 2) >= 2 * ThumbnailSize) shrink *= 2;
            if (shrink > 1) image = Track(chain, Load(encoded, format, $"{_loadOptions},shrink={shrink}"));

            image = Track(chain, image.Autorotate());
            if (hadIcc && ImageDecoder.TryIccToSrgb(image, null) is { } transformed) image = Track(chain, transformed);
            else if (image.IsCmyk && ImageDecoder.TryIccToSrgb(image, "cmyk") is { } fromCmyk) image = Track(chain, fromCmyk);
            image = Track(chain, image.Colourspace("srgb"));
            if (image.Format != VipsBandFormat.Uchar) image = Track(chain, image.Cast(VipsBandFormat.Uchar));
            if (image.HasAlpha) image = Track(chain, image.Flatten(255));
            if (image.Bands > 3) image = Track(chain, image.ExtractBands(0, 3));

            double scale = (double)ThumbnailSize / Math.Max(image.Width, image.Height);
            if (scale < 1)
            {
                // Round each side, never to 0, and ask for exactly that, so a 4000x3 strip stays 256x1.
                int w = Math.Max(1, (int)Math.Round(image.Width * scale)), h = Math.Max(1, (int)Math.Round(image.Height * scale));
                image = Track(chain, image.Resize((double)w / image.Width, (double)h / image.Height, "lanczos3"));
            }
            // The caller disposes only the last image: every earlier one is referenced by it, so release ours.
            chain.Remove(image);
            return image;
        }
        finally
        {
            for (int i = chain.Count - 1; i >= 0; i--) chain[i].Dispose();
        }
    }

    private static VipsImage Load(ReadOnlySpan<byte> encoded, ImageFormat format, string options)
    {
        VipsImage image = VipsImage.LoadFromBuffer(encoded, options, out string loader);
        if (!ImageDecoder.LoaderMatches(loader, format))
        {
            image.Dispose();
            throw new UnsupportedImageFormatException($"The data looked like {ImageDecoder.FormatName(format)} but libvips chose loader {loader}; refused.");
        }
        return image;
    }

    private static VipsImage Track(List<VipsImage> chain, VipsImage image)
    {
        chain.Add(image);
        return image;
    }
}
