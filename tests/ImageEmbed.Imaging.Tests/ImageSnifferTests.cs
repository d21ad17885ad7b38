using ImageEmbed.Imaging.Intake;
using ImageEmbed.Tests;

namespace ImageEmbed.Imaging.Tests;

public sealed class ImageSnifferTests
{
    public static TheoryData<string, ImageFormat?> Files => new()
    {
        { "progressive.jpg", ImageFormat.Jpeg },
        { "cmyk.jpg", ImageFormat.Jpeg },
        { "png_palette.png", ImageFormat.Png },
        { "gif_animated.gif", ImageFormat.Gif },
        { "webp_lossy.webp", ImageFormat.WebP },
        { "webp_lossless.webp", ImageFormat.WebP },
        { "tiff.tiff", ImageFormat.Tiff },
        { "avif.avif", ImageFormat.Avif },
        { "html_renamed.png", null },
        { "not_an_image.jpg", null },
        { "svg_with_external_ref.svg", null },
        { "empty.jpg", null },
    };

    [Theory]
    [MemberData(nameof(Files))]
    public void Detect_FormatsFixture_RecognisesByContentNotName(string file, ImageFormat? expected)
    {
        Assert.Equal(expected, ImageSniffer.Detect(File.ReadAllBytes(TestPaths.Format(file))));
    }

    [Fact]
    public void Detect_JpegMagicWithPngName_IsJpeg()
    {
        Assert.Equal(ImageFormat.Jpeg, ImageSniffer.Detect([0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]));
        Assert.Null(ImageSniffer.Detect([0xFF, 0xD8]));
    }
}
