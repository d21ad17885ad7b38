using ImageEmbed.Imaging.Decode;
using ImageEmbed.Imaging.Preprocess;
using ImageEmbed.Tests;

namespace ImageEmbed.Imaging.Tests;

/// <summary>
/// What a header can make the decoder do is bounded: cost grows with rows as much as with pixels (a 1 × 50,000,000
/// PNG is under the 100-megapixel limit and took ~55 s), so the sides and their ratio are checked from the header,
/// and any decode that still runs long is stopped at a deadline. The crafted files are made here.
/// </summary>
public sealed class DecodeCostTests
{
    private static readonly ImagePreprocessing Recipe = new();

    private static byte[] GrayPng(int width, int height) => TestImages.Png(width, height, 1, new byte[width * height]);

    [Fact]
    public void TallImage_OverTheSideLimit_IsRefusedFromTheHeader()
    {
        byte[] tall = GrayPng(1, 40_000); // 40,000 pixels: far under the pixel limit
        var e = Assert.Throws<ImageTooLargeException>(() => new ImageDecoder(new ImagingOptions()).Decode(tall, Recipe, new byte[Recipe.PixelLength]));
        Assert.Equal("The image is 1x40000; the longest side accepted is 32,768 pixels (Imaging:MaxSide, IMAGEEMBED_MAX_SIDE).", e.Message);
    }

    [Fact]
    public void ElongatedImage_OverTheAspectLimit_IsRefused_AtTheLimitDecoded()
    {
        var decoder = new ImageDecoder(new ImagingOptions());
        var e = Assert.Throws<ImageTooLargeException>(() => decoder.Decode(GrayPng(303, 3), Recipe, new byte[Recipe.PixelLength]));
        Assert.Equal("The image is 303x3, more elongated than the 100:1 accepted (Imaging:MaxAspectRatio, IMAGEEMBED_MAX_ASPECT_RATIO).", e.Message);
        decoder.Decode(GrayPng(300, 3), Recipe, new byte[Recipe.PixelLength]);
        decoder.Decode(GrayPng(3, 300), Recipe, new byte[Recipe.PixelLength]);
    }

    [Fact]
    public void SlowDecode_PastTheDeadline_IsStoppedNamingTheSetting_AndTheDecoderStaysUsable()
    {
        // Noise does not compress: a 3000 x 3000 PNG takes hundreds of milliseconds to inflate and filter.
        byte[] noise = new byte[3000 * 3000 * 3];
        new Random(7).NextBytes(noise);
        byte[] png = TestImages.Png(3000, 3000, 3, noise);
        var hurried = new ImageDecoder(new ImagingOptions { DecodeTimeoutMs = 1 });

        var e = Assert.Throws<ImageTooCostlyException>(() => hurried.Decode(png, Recipe, new byte[Recipe.PixelLength]));
        Assert.Equal("Decoding the 3000x3000 image took longer than 1 ms (Imaging:DecodeTimeoutMs, IMAGEEMBED_DECODE_TIMEOUT_MS); it was stopped.", e.Message);

        // The same file decodes under the default deadline.
        new ImageDecoder(new ImagingOptions()).Decode(png, Recipe, new byte[Recipe.PixelLength]);
    }
}
