using ImageEmbed.Imaging.Decode;
using ImageEmbed.Imaging.Preprocess;
using ImageEmbed.Imaging.Vips;
using ImageEmbed.Tests;

namespace ImageEmbed.Imaging.Tests;

/// <summary>
/// Shrink-on-load (libjpeg decoding large JPEGs at 1/2..1/8 scale) against the full decode it replaces:
/// orientation, colour management, CMYK and both resize modes must come out the same, within the
/// difference DCT-domain scaling makes, and the header facts must still describe the source.
/// </summary>
public sealed class ShrinkOnLoadTests
{
    private static readonly ImagePreprocessing Squash224 = new();
    private static readonly ImagePreprocessing ClipCrop = new() { Resize = ResizeMode.ShortestSideCenterCrop, Kernel = "cubic" };
    private readonly ImageDecoder _shrinking = new(new ImagingOptions());
    private readonly ImageDecoder _full = new(new ImagingOptions { ShrinkOnLoad = false });

    [Theory]
    [InlineData(4000, 3000, 4)] // 1/8 would leave 375 px, 1.67 per output pixel: too few; 1/4 leaves 750
    [InlineData(3000, 4000, 4)]
    [InlineData(3584, 3584, 8)] // exactly 448 px = 2 x 224 at 1/8
    [InlineData(1800, 1400, 2)] // 350 px at 1/4: too few
    [InlineData(1000, 896, 2)]  // exactly 448 px at 1/2
    [InlineData(1000, 895, 1)]  // 447.5 px: too few
    [InlineData(794, 709, 1)]   // the photo a 1/2 shrink (354 px) moved to cosine 0.994 under the old 1.5 rule
    [InlineData(526, 497, 1)]   // a typical web photo is decoded in full
    public void JpegShrinkFactor_KeepsTwoSourcePixelsPerOutputPixel(int width, int height, int expected)
    {
        Assert.Equal(expected, ImageDecoder.JpegShrinkFactor(width, height, Squash224));
    }

    [Fact]
    public void JpegShrinkFactor_NonSquareTarget_UsesTheLongerTargetSide()
    {
        // Whatever the EXIF orientation, the shorter source side must still cover the longer target side.
        var wide = new ImagePreprocessing { Width = 384, Height = 128 };
        Assert.Equal(2, ImageDecoder.JpegShrinkFactor(3000, 3000, wide)); // 750 px at 1/4 < 2 x 384; 1500 at 1/2
        Assert.Equal(4, ImageDecoder.JpegShrinkFactor(3200, 3072, wide)); // 768 px at 1/4 = 2 x 384
    }

    public static TheoryData<string, string> Cases => new()
    {
        { "formats/exif_orientation_6.jpg", "squash" },
        { "formats/exif_orientation_6.jpg", "crop" },
        { "formats/cmyk.jpg", "squash" },
        { "formats/gray.jpg", "squash" },
        { "dev/n03095699_container_ship.JPEG", "squash" }, // carries an ICC profile
        { "dev/n01440764_tench.JPEG", "crop" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Decode_LargeJpeg_MatchesFullDecodeWithinDctScalingNoise(string file, string mode)
    {
        ImagePreprocessing recipe = mode == "crop" ? ClipCrop : Squash224;
        byte[] large = Enlarge(File.ReadAllBytes(Path.Combine(TestPaths.Shared, "images", file)), 8);
        byte[] shrunk = new byte[recipe.PixelLength], full = new byte[recipe.PixelLength];

        DecodedImage shrunkInfo = _shrinking.Decode(large, recipe, shrunk);
        DecodedImage fullInfo = _full.Decode(large, recipe, full);

        Assert.Equal(fullInfo, shrunkInfo); // source size, alpha and ICC flags describe the file, not the shrunk decode
        (double mean, int max) = Difference(shrunk, full);
        // Measured: mean 0.26-0.50 levels (max 10). A rotation, colour or crop mistake moves the mean by tens of levels.
        Assert.True(mean < 2.0, $"{file} ({mode}): mean difference {mean:F2} levels (max {max})");
    }

    [Fact]
    public void Enlarge_KeepsOrientationTag_SoTheOrientationCaseTestsRotation()
    {
        byte[] large = Enlarge(File.ReadAllBytes(TestPaths.Format("exif_orientation_6.jpg")), 8);
        using VipsImage raw = VipsImage.LoadFromBuffer(large, "", out _);
        using VipsImage upright = raw.Autorotate();
        Assert.Equal((raw.Width, raw.Height), (upright.Height, upright.Width));
    }

    [Fact]
    public void Decode_LargeJpeg_PixelLimitIsCheckedOnTheFullSize()
    {
        // Shrink-on-load decodes 1/64 of the pixels, but the limit is about the file: it is checked first.
        var strict = new ImageDecoder(new ImagingOptions { MaxPixels = 2_000_000 });
        byte[] large = Enlarge(File.ReadAllBytes(TestPaths.Format("gray.jpg")), 8);

        Assert.Throws<ImageTooLargeException>(() => strict.Decode(large, Squash224, new byte[Squash224.PixelLength]));
    }

    // Upscales (keeping EXIF orientation, ICC profile and CMYK, which jpegsave writes back) and saves as JPEG.
    private static byte[] Enlarge(byte[] jpeg, int factor)
    {
        using VipsImage image = VipsImage.LoadFromBuffer(jpeg, "", out _);
        using VipsImage big = image.Resize(factor, factor, "linear");
        return big.WriteToBuffer(".jpg[Q=90]");
    }

    private static (double Mean, int Max) Difference(byte[] a, byte[] b)
    {
        long sum = 0;
        int max = 0;
        for (int i = 0; i < a.Length; i++)
        {
            int d = Math.Abs(a[i] - b[i]);
            sum += d;
            max = Math.Max(max, d);
        }
        return ((double)sum / a.Length, max);
    }
}
