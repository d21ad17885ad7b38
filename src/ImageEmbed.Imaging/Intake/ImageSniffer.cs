namespace ImageEmbed.Imaging.Intake;

/// <summary>
/// Recognises an image format from its magic bytes. File names, URLs and declared content types
/// are never consulted: they are whatever the sender says.
/// </summary>
public static class ImageSniffer
{
    /// <summary>Bytes needed to recognise every supported format.</summary>
    public const int HeaderLength = 16;

    private static ReadOnlySpan<byte> JpegMagic => [0xFF, 0xD8, 0xFF];
    private static ReadOnlySpan<byte> PngMagic => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>The format of <paramref name="data"/>, or null when it is not a supported raster image.</summary>
    public static ImageFormat? Detect(ReadOnlySpan<byte> data)
    {
        if (data.StartsWith(JpegMagic)) return ImageFormat.Jpeg;
        if (data.StartsWith(PngMagic)) return ImageFormat.Png;
        if (data.StartsWith("GIF87a"u8) || data.StartsWith("GIF89a"u8)) return ImageFormat.Gif;
        if (data.Length >= 12 && data.StartsWith("RIFF"u8) && data[8..12].SequenceEqual("WEBP"u8)) return ImageFormat.WebP;
        if (data.StartsWith("II*\0"u8) || data.StartsWith("MM\0*"u8)) return ImageFormat.Tiff;
        if (data.Length >= 12 && data[4..8].SequenceEqual("ftyp"u8))
        {
            ReadOnlySpan<byte> brand = data[8..12];
            if (brand.SequenceEqual("avif"u8) || brand.SequenceEqual("avis"u8)) return ImageFormat.Avif;
            if (brand.SequenceEqual("heic"u8) || brand.SequenceEqual("heix"u8) || brand.SequenceEqual("mif1"u8) || brand.SequenceEqual("msf1"u8)) return ImageFormat.Heif;
        }
        return null;
    }
}
