using ImageEmbed.Imaging.Decode;
using ImageEmbed.Imaging.Fingerprint;
using ImageEmbed.Imaging.Preprocess;
using ImageEmbed.Imaging.Vips;
using ImageEmbed.Tests;

namespace ImageEmbed.Imaging.Tests;

/// <summary>
/// One decode for a new collection item (<see cref="ImageDecoder.DecodeWithFingerprint"/>) against the two it
/// replaces: the model's pixels must be <see cref="ImageDecoder.Decode"/>'s, always, and the fingerprint
/// <see cref="ImageFingerprinter.Compute"/>'s, bit for bit, whenever the shared shrink-on-load factor is its own; a bad
/// file must fail with the same type and message.
/// </summary>
public sealed class DecodeWithFingerprintTests
{
    private static readonly ImagePreprocessing Squash224 = new();
    private static readonly ImagePreprocessing ClipCrop = new() { Resize = ResizeMode.ShortestSideCenterCrop, Kernel = "cubic" };
    private readonly ImageDecoder _decoder = new(new ImagingOptions());
    private readonly ImageFingerprinter _fingerprinter = new(new ImagingOptions());

    public static TheoryData<string> DecodableFormats => new()
    {
        "avif.avif", "cmyk.jpg", "exif_orientation_6.jpg", "gif_animated.gif", "gif_static.gif", "gray.jpg", "png_16bit.png",
        "png_palette.png", "png_rgba.png", "progressive.jpg", "tiff.tiff", "tiny_1x1.png", "webp_lossless.webp", "webp_lossy.webp",
    };

    [Fact]
    public void DecodeWithFingerprint_EveryDevPhoto_GivesDecodesPixelsAndComputesFingerprint()
    {
        int exact = 0;
        foreach (string file in TestPaths.DevFiles())
        {
            byte[] bytes = File.ReadAllBytes(file);
            ImageFingerprint expected = _fingerprinter.Compute(bytes);
            foreach (ImagePreprocessing recipe in new[] { Squash224, ClipCrop })
            {
                (byte[] joint, ImageFingerprint fingerprint) = Joint(bytes, recipe);

                Assert.True(Decode(bytes, recipe).AsSpan().SequenceEqual(joint), $"{file}: model pixels differ from Decode's");
                if (SameFactor(bytes, recipe))
                {
                    AssertSameFingerprint(expected, fingerprint, file);
                    exact++;
                }
                else
                {
                    AssertCloseFingerprint(expected, fingerprint, file);
                }
            }
        }
        Assert.True(exact >= 2 * 98, $"only {exact} of 200 decodes shared the fingerprint's own factor");
    }

    [Theory]
    [MemberData(nameof(DecodableFormats))]
    public void DecodeWithFingerprint_EdgeCaseFormats_MatchTheSeparateDecodesExactly(string file)
    {
        byte[] bytes = File.ReadAllBytes(TestPaths.Format(file));
        byte[] rgb = new byte[Squash224.PixelLength];

        DecodedImage info = _decoder.DecodeWithFingerprint(bytes, Squash224, rgb, out ImageFingerprint fingerprint);

        byte[] alone = new byte[Squash224.PixelLength];
        Assert.Equal(_decoder.Decode(bytes, Squash224, alone), info);
        Assert.True(alone.AsSpan().SequenceEqual(rgb), $"{file}: model pixels differ from Decode's");
        AssertSameFingerprint(_fingerprinter.Compute(bytes), fingerprint, file);
    }

    [Theory]
    [MemberData(nameof(ImageDecoderTests.BadFiles), MemberType = typeof(ImageDecoderTests))]
    public void DecodeWithFingerprint_BadFile_FailsExactlyAsDecodeAndCompute(string file, Type expected, string reason)
    {
        byte[] bytes = File.ReadAllBytes(TestPaths.Format(file));

        var joint = Assert.ThrowsAny<ImageDecodeException>(() => Joint(bytes, Squash224));
        var decode = Assert.ThrowsAny<ImageDecodeException>(() => Decode(bytes, Squash224));
        var compute = Assert.ThrowsAny<ImageDecodeException>(() => _fingerprinter.Compute(bytes));

        Assert.IsType(expected, joint);
        Assert.Contains(reason, joint.Message, StringComparison.Ordinal);
        Assert.Equal((decode.GetType(), decode.Message), (joint.GetType(), joint.Message));
        Assert.Equal((compute.GetType(), compute.Message), (joint.GetType(), joint.Message));
    }

    [Fact]
    public void DecodeWithFingerprint_PixelLimitOption_IsHonoured()
    {
        var strict = new ImageDecoder(new ImagingOptions { MaxPixels = 1000 });
        var e = Assert.Throws<ImageTooLargeException>(() =>
            strict.DecodeWithFingerprint(File.ReadAllBytes(TestPaths.Format("progressive.jpg")), Squash224, new byte[Squash224.PixelLength], out _));
        Assert.Contains("the limit is 1,000 pixels", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DecodeWithFingerprint_ShortDestination_IsRefusedBeforeDecoding()
    {
        Assert.Throws<ArgumentException>(() => _decoder.DecodeWithFingerprint(File.ReadAllBytes(TestPaths.DevFiles()[0]), Squash224, new byte[10], out _));
    }

    [Theory]
    [InlineData(909, 768, 1, 1)]   // a dev photo: both decode in full (384 px at 1/2 would leave under 2 per model pixel)
    [InlineData(3800, 3600, 8, 4)] // the model decodes at 1/8 (450 px), the thumbnail wants 1/4
    [InlineData(4032, 3024, 4, 4)] // a phone photo: both at 1/4
    [InlineData(2100, 1300, 2, 4)] // the model needs the finer decode (650 px on the shorter side): the thumbnail is made from it
    [InlineData(3000, 2000, 4, 4)] // both at 1/4: one decode, both exact
    public void DecodeWithFingerprint_LargeJpeg_KeepsTheModelsPixelsAndMakesTheThumbnailFromThem(int width, int height, int model, int thumbnail)
    {
        byte[] large = Resized(File.ReadAllBytes(TestPaths.DevFiles()[3]), width, height);
        Assert.Equal((model, thumbnail), (_decoder.ShrinkFactor(width, height, Squash224), ImageFingerprinter.JpegShrinkFactor(width, height)));

        (byte[] joint, ImageFingerprint fingerprint) = Joint(large, Squash224);

        Assert.True(Decode(large, Squash224).AsSpan().SequenceEqual(joint), "model pixels differ from Decode's");
        ImageFingerprint computed = _fingerprinter.Compute(large);
        if (model == thumbnail) AssertSameFingerprint(computed, fingerprint, "large");
        else AssertCloseFingerprint(computed, fingerprint, "large");
    }

    private (byte[] Rgb, ImageFingerprint Fingerprint) Joint(byte[] bytes, ImagePreprocessing recipe)
    {
        byte[] rgb = new byte[recipe.PixelLength];
        _decoder.DecodeWithFingerprint(bytes, recipe, rgb, out ImageFingerprint fingerprint);
        return (rgb, fingerprint);
    }

    private byte[] Decode(byte[] bytes, ImagePreprocessing recipe)
    {
        byte[] rgb = new byte[recipe.PixelLength];
        _decoder.Decode(bytes, recipe, rgb);
        return rgb;
    }

    private bool SameFactor(byte[] bytes, ImagePreprocessing recipe)
    {
        using VipsImage header = VipsImage.LoadFromBuffer(bytes, "", out _);
        return _decoder.ShrinkFactor(header.Width, header.Height, recipe) == ImageFingerprinter.JpegShrinkFactor(header.Width, header.Height);
    }

    // A thumbnail resized from a decode at another scale: the same size within a pixel (libjpeg rounds a scaled side
    // up, so 909×768 at 1/2 is 455×384), the perceptual hash within 2 of 64 bits.
    private static void AssertCloseFingerprint(ImageFingerprint expected, ImageFingerprint actual, string file)
    {
        Assert.Equal(expected.ContentHash, actual.ContentHash);
        Assert.InRange(actual.ThumbnailWidth, expected.ThumbnailWidth - 1, expected.ThumbnailWidth + 1);
        Assert.InRange(actual.ThumbnailHeight, expected.ThumbnailHeight - 1, expected.ThumbnailHeight + 1);
        Assert.True(PerceptualHash.Distance(expected.PerceptualHash, actual.PerceptualHash) <= 2, $"{file}: perceptual hash drifted");
    }

    private static void AssertSameFingerprint(ImageFingerprint expected, ImageFingerprint actual, string file)
    {
        Assert.Equal((expected.ContentHash, expected.PerceptualHash, expected.ThumbnailWidth, expected.ThumbnailHeight),
            (actual.ContentHash, actual.PerceptualHash, actual.ThumbnailWidth, actual.ThumbnailHeight));
        Assert.True(expected.Thumbnail.AsSpan().SequenceEqual(actual.Thumbnail), $"{file}: thumbnail bytes differ");
    }

    private static byte[] Resized(byte[] jpeg, int width, int height)
    {
        using VipsImage image = VipsImage.LoadFromBuffer(jpeg, "", out _);
        using VipsImage big = image.Resize((double)width / image.Width, (double)height / image.Height, "linear");
        Assert.Equal((width, height), (big.Width, big.Height));
        return big.WriteToBuffer(".jpg[Q=90]");
    }
}
