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

    private readonly UntrustedImage _untrusted;

    public ImageFingerprinter(ImagingOptions options) => _untrusted = new UntrustedImage(options);

    /// <summary>Fingerprints <paramref name="encoded"/>. CPU-bound (one decode); call it off the request thread.</summary>
    /// <exception cref="UnsupportedImageFormatException">Not a supported raster format.</exception>
    /// <exception cref="ImageTooLargeException">Over <see cref="ImagingOptions.MaxPixels"/>; no pixel was decoded.</exception>
    /// <exception cref="ImageDecodeException">Corrupt, truncated, or otherwise undecodable.</exception>
    public ImageFingerprint Compute(ReadOnlySpan<byte> encoded)
    {
        ImageFormat format = UntrustedImage.Sniff(encoded);
        string hash = ContentHash.Of(encoded);
        try
        {
            return Run(encoded, format, hash);
        }
        catch (VipsException)
        {
            lock (UntrustedImage.Diagnosis)
            {
                VipsRuntime.ClearErrors();
                try
                {
                    return Run(encoded, format, hash);
                }
                catch (VipsException e)
                {
                    throw UntrustedImage.DecodeFailure(format, e);
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
            VipsImage image = _untrusted.Open(encoded, format, chain, out DecodedImage info);
            // Shrink-on-load, keeping at least twice the thumbnail size for a clean final resize.
            int shrink = 1;
            if (format == ImageFormat.Jpeg)
                while (shrink < 8 && Math.Max(info.SourceWidth, info.SourceHeight) / (shrink * 2) >= 2 * ThumbnailSize) shrink *= 2;
            if (shrink > 1) image = _untrusted.Reopen(encoded, format, shrink, chain);
            image = UntrustedImage.ToUprightRgb(image, info, chain);

            double scale = (double)ThumbnailSize / Math.Max(image.Width, image.Height);
            if (scale < 1)
            {
                // Round each side, never to 0, and ask for exactly that, so a 4000x3 strip stays 256x1.
                int w = Math.Max(1, (int)Math.Round(image.Width * scale)), h = Math.Max(1, (int)Math.Round(image.Height * scale));
                image = UntrustedImage.Track(chain, image.Resize((double)w / image.Width, (double)h / image.Height, "lanczos3"));
            }
            // The caller disposes only the last image: every earlier one is referenced by it, so release ours.
            chain.Remove(image);
            return image;
        }
        finally
        {
            UntrustedImage.DisposeAll(chain);
        }
    }
}
