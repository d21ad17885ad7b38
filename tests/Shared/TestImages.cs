using ImageEmbed.Native.Vips;

namespace ImageEmbed.Tests;

/// <summary>Images made by tests, encoded with libvips.</summary>
internal static class TestImages
{
    /// <summary>Encodes raw interleaved 8-bit pixels as PNG.</summary>
    public static byte[] Png(int width, int height, int bands, byte[] pixels)
    {
        using VipsImage image = VipsImage.FromPixels(pixels, width, height, bands);
        return image.WriteToBuffer(".png");
    }
}
