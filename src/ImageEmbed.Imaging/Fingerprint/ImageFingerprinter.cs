using ImageEmbed.Imaging.Decode;
using ImageEmbed.Imaging.Intake;
using ImageEmbed.Imaging.Vips;
using Enums = NetVips.Enums;

namespace ImageEmbed.Imaging.Fingerprint;

/// <summary>
/// Fingerprints untrusted encoded bytes (<see cref="ImageFingerprint"/>): content hash, perceptual hash
/// and thumbnail, from one decode (<see cref="ImageDecoder.DecodeWithFingerprint"/> shares that decode with a
/// model's pixels). The same safety rules as <see cref="ImageDecoder"/> (it shares its
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
    /// <param name="contentHash">The bytes' <see cref="ContentHash"/> when the caller has it already; null = computed here.</param>
    public ImageFingerprint Compute(ReadOnlySpan<byte> encoded, string? contentHash = null)
    {
        ImageFormat format = UntrustedImage.Sniff(encoded);
        string hash = contentHash ?? ContentHash.Of(encoded);
        return UntrustedImage.Diagnosed(encoded, format, hash, (bytes, f, h) => Run(_untrusted, bytes, f, h));
    }

    /// <summary>
    /// The JPEG shrink-on-load factor (1, 2, 4 or 8) for a source of this size: the longest side keeps at least twice
    /// <see cref="ThumbnailSize"/>, for a clean final resize.
    /// </summary>
    public static int JpegShrinkFactor(int width, int height)
    {
        int shrink = 1;
        while (shrink < 8 && Math.Max(width, height) / (shrink * 2) >= 2 * ThumbnailSize) shrink *= 2;
        return shrink;
    }

    /// <summary>
    /// The fingerprint of <paramref name="upright"/> (<see cref="UntrustedImage.ToUprightRgb"/>'s output): a thumbnail
    /// resized from it, and the JPEG and perceptual hash made from the thumbnail's pixels.
    /// </summary>
    internal static ImageFingerprint FromUpright(VipsImage upright, string hash, List<VipsImage> chain)
    {
        VipsImage thumbnail = upright;
        double scale = (double)ThumbnailSize / Math.Max(upright.Width, upright.Height);
        if (scale < 1)
        {
            // Round each side, never to 0, and ask for exactly that, so a 4000x3 strip stays 256x1.
            int w = Math.Max(1, (int)Math.Round(upright.Width * scale)), h = Math.Max(1, (int)Math.Round(upright.Height * scale));
            thumbnail = UntrustedImage.Track(chain, upright.Resize((double)w / upright.Width, (double)h / upright.Height, "lanczos3"));
        }
        (int width, int height) = (thumbnail.Width, thumbnail.Height);
        if (thumbnail.Bands != 3 || thumbnail.Format != Enums.BandFormat.Uchar)
            throw new ImageDecodeException($"Internal thumbnail has {thumbnail.Bands} bands of {thumbnail.Format}, expected 3 of uchar.");
        // Computed once into memory: both the JPEG and the hash are made from these pixels, so the
        // thumbnail is resized once, not once per output.
        byte[] rgb = new byte[width * height * 3];
        thumbnail.WriteToMemory(rgb);

        using VipsImage pixels = VipsImage.FromPixels(rgb, width, height, 3);
        byte[] jpeg = pixels.WriteToBuffer($".jpg[Q={ThumbnailQuality}]");
        using VipsImage gray = pixels.Colourspace(Enums.Interpretation.Bw);
        using VipsImage square = gray.Resize((double)PerceptualHash.InputSize / width, (double)PerceptualHash.InputSize / height, "linear");
        Span<byte> small = stackalloc byte[PerceptualHash.InputSize * PerceptualHash.InputSize];
        if (square.Width != PerceptualHash.InputSize || square.Height != PerceptualHash.InputSize || square.Bands != 1)
            throw new ImageDecodeException($"Internal resize produced {square.Width}x{square.Height}x{square.Bands}, expected {PerceptualHash.InputSize}x{PerceptualHash.InputSize}x1.");
        square.WriteToMemory(small);
        return new ImageFingerprint(hash, PerceptualHash.Compute(small), jpeg, width, height);
    }

    /// <summary>Opens and decodes <paramref name="encoded"/> on its own (at the thumbnail's shrink-on-load factor) and fingerprints it.</summary>
    private static ImageFingerprint Run(UntrustedImage untrusted, ReadOnlySpan<byte> encoded, ImageFormat format, string hash)
    {
        var chain = new List<VipsImage>(10);
        try
        {
            VipsImage upright = untrusted.OpenUpright(encoded, format, static info => JpegShrinkFactor(info.SourceWidth, info.SourceHeight), chain, out _);
            return FromUpright(upright, hash, chain);
        }
        finally
        {
            UntrustedImage.DisposeAll(chain);
        }
    }
}
