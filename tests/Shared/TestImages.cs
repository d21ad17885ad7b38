using ImageEmbed.Imaging.Vips;

namespace ImageEmbed.Tests;

/// <summary>Images made by tests, encoded with libvips.</summary>
internal static class TestImages
{
    /// <summary>A <c>data:image/...;base64</c> URI of the bytes (the declared type does not matter: the service sniffs).</summary>
    public static string DataUri(byte[] bytes) => "data:image/jpeg;base64," + Convert.ToBase64String(bytes);

    /// <summary>A data URI of a file's bytes.</summary>
    public static string DataUri(string file) => DataUri(File.ReadAllBytes(file));

    /// <summary>Encodes raw interleaved 8-bit pixels as PNG.</summary>
    public static byte[] Png(int width, int height, int bands, byte[] pixels)
    {
        using VipsImage image = VipsImage.FromPixels(pixels, width, height, bands);
        return image.WriteToBuffer(".png");
    }
}
