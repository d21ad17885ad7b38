using System.Diagnostics;
using ImageEmbed.Imaging.Decode;
using ImageEmbed.Imaging.Intake;
using ImageEmbed.Imaging.Preprocess;
using ImageEmbed.Tests;

namespace ImageEmbed.Imaging.Tests;

public sealed class ImageDecoderTests
{
    private static readonly ImagePreprocessing Squash224 = new();
    private readonly ImageDecoder _decoder = new(new ImagingOptions());

    public static TheoryData<string, Type, string> BadFiles => new()
    {
        { "empty.jpg", typeof(UnsupportedImageFormatException), "empty" },
        { "not_an_image.jpg", typeof(UnsupportedImageFormatException), "not a supported image" },
        { "html_renamed.png", typeof(UnsupportedImageFormatException), "not a supported image" },
        { "svg_with_external_ref.svg", typeof(UnsupportedImageFormatException), "not a supported image" },
        { "truncated.jpg", typeof(ImageDecodeException), "premature end of JPEG image" },
        { "bomb_16000x16000.png", typeof(ImageTooLargeException), "16000x16000" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void Decode_BadFile_ThrowsTypedErrorWithReason(string file, Type expected, string reason)
    {
        byte[] rgb = new byte[Squash224.PixelLength];
        var e = Assert.ThrowsAny<ImageDecodeException>(() => _decoder.Decode(File.ReadAllBytes(TestPaths.Format(file)), Squash224, rgb));
        Assert.IsType(expected, e);
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_Bomb_IsRefusedBeforePixelsAreDecoded()
    {
        byte[] bomb = File.ReadAllBytes(TestPaths.Format("bomb_16000x16000.png"));
        long memoryBefore = Vips.VipsRuntime.TrackedMemory;
        var clock = Stopwatch.StartNew();

        Assert.Throws<ImageTooLargeException>(() => _decoder.Decode(bomb, Squash224, new byte[Squash224.PixelLength]));

        // Decoding 256 megapixels takes seconds and hundreds of MB; reading the header takes neither.
        Assert.True(clock.ElapsedMilliseconds < 1000, $"took {clock.ElapsedMilliseconds} ms");
        Assert.True(Vips.VipsRuntime.TrackedMemory - memoryBefore < 16 * 1024 * 1024);
    }

    [Fact]
    public void Decode_PixelLimitOption_IsHonoured()
    {
        var strict = new ImageDecoder(new ImagingOptions { MaxPixels = 1000 });
        var e = Assert.Throws<ImageTooLargeException>(() => strict.Decode(File.ReadAllBytes(TestPaths.Format("progressive.jpg")), Squash224, new byte[Squash224.PixelLength]));
        Assert.Contains("the limit is 1,000 pixels", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("png_rgba.png", ImageFormat.Png)]
    [InlineData("gif_animated.gif", ImageFormat.Gif)]
    [InlineData("cmyk.jpg", ImageFormat.Jpeg)]
    [InlineData("png_16bit.png", ImageFormat.Png)]
    [InlineData("gray.jpg", ImageFormat.Jpeg)]
    [InlineData("tiny_1x1.png", ImageFormat.Png)]
    [InlineData("avif.avif", ImageFormat.Avif)]
    [InlineData("tiff.tiff", ImageFormat.Tiff)]
    public void Decode_EdgeCaseFormats_GiveModelSizedRgb(string file, ImageFormat format)
    {
        byte[] rgb = new byte[Squash224.PixelLength];
        DecodedImage info = _decoder.Decode(File.ReadAllBytes(TestPaths.Format(file)), Squash224, rgb);
        Assert.Equal(format, info.Format);
        Assert.True(info.SourceWidth > 0 && info.SourceHeight > 0);
    }

    [Fact]
    public void Decode_TransparentPixels_AreFlattenedOntoWhite()
    {
        // Make a 4x4 PNG whose every pixel is fully transparent black: flattened, it must be white.
        byte[] png = MakeTransparentPng();
        byte[] rgb = new byte[Squash224.PixelLength];

        DecodedImage info = _decoder.Decode(png, Squash224, rgb);

        Assert.True(info.HadAlpha);
        Assert.All(rgb, b => Assert.Equal(255, b));
    }

    [Fact]
    public void Decode_ExifOrientation6_IsRotatedUpright()
    {
        // exif_orientation_6.jpg is stored sideways; after autorotation its width and height swap.
        byte[] bytes = File.ReadAllBytes(TestPaths.Format("exif_orientation_6.jpg"));
        using Vips.VipsImage raw = Vips.VipsImage.LoadFromBuffer(bytes, "", out _);
        using Vips.VipsImage upright = raw.Autorotate();
        Assert.Equal((raw.Width, raw.Height), (upright.Height, upright.Width));
    }

    [Fact]
    public void Decode_CenterCrop_KeepsTheMiddleOfAWideImage()
    {
        var crop = new ImagePreprocessing { Width = 32, Height = 32, Resize = ResizeMode.ShortestSideCenterCrop, Kernel = "nearest" };
        // A 3:1 image: left third red, middle green, right blue. The centre crop must be all green.
        byte[] png = MakeStripes();
        byte[] rgb = new byte[crop.PixelLength];

        _decoder.Decode(png, crop, rgb);

        for (int i = 0; i < rgb.Length; i += 3) Assert.Equal((0, 255, 0), (rgb[i], rgb[i + 1], rgb[i + 2]));
    }

    [Fact]
    public void Decode_DestinationTooSmall_ThrowsArgumentException()
    {
        Assert.Throws<ArgumentException>(() => _decoder.Decode(File.ReadAllBytes(TestPaths.Format("tiny_1x1.png")), Squash224, new byte[10]));
    }

    private static byte[] MakeTransparentPng() => TestImages.Png(4, 4, 4, new byte[4 * 4 * 4]);

    private static byte[] MakeStripes()
    {
        const int w = 96, h = 32;
        byte[] raw = new byte[w * h * 3];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                raw[(y * w + x) * 3 + x / 32] = 255;
        return TestImages.Png(w, h, 3, raw);
    }
}
