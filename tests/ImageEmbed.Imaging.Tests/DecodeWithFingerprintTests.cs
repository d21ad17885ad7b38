using ImageEmbed.Imaging.Decode;
using ImageEmbed.Imaging.Fingerprint;
using ImageEmbed.Imaging.Preprocess;
using ImageEmbed.Native.Vips;
using ImageEmbed.Tests;

namespace ImageEmbed.Imaging.Tests;

/// <summary>
/// One decode for a new collection item (<see cref="ImageDecoder.DecodeWithFingerprint"/>) against the two it
/// replaces: the fingerprint must be <see cref="ImageFingerprinter.Compute"/>'s, bit for bit, and the model's pixels
/// <see cref="ImageDecoder.Decode"/>'s, whenever the shared shrink-on-load factor is that method's own; a bad file
/// must fail with the same type and message.
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
    public void DecodeWithFingerprint_EveryDevPhoto_GivesComputesFingerprintAndDecodesPixels()
    {
        foreach (string file in TestPaths.DevFiles())
        {
            byte[] bytes = File.ReadAllBytes(file);
            using VipsImage header = VipsImage.LoadFromBuffer(bytes, "", out _);
            foreach (ImagePreprocessing recipe in new[] { Squash224, ClipCrop })
            {
                (byte[] joint, ImageFingerprint fingerprint) = Joint(bytes, recipe);

                AssertSameFingerprint(_fingerprinter.Compute(bytes), fingerprint, file);
                byte[] alone = Decode(bytes, recipe);
                if (_decoder.SharedShrinkFactor(header.Width, header.Height, recipe) == _decoder.ShrinkFactor(header.Width, header.Height, recipe))
                {
                    Assert.True(alone.AsSpan().SequenceEqual(joint), $"{file}: model pixels differ from Decode's");
                }
                else
                {
                    // Decoded at a finer scale for the thumbnail's sake (909x768: 1 instead of 1/2): shrink-on-load's noise.
                    (double mean, int max) = PixelDifference.Of(alone, joint);
                    Assert.True(mean < 2.0, $"{file}: mean difference {mean:F2} levels (max {max})");
                }
            }
        }
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
    [InlineData(4000, 3000, 4, 8)] // the thumbnail needs 1/4, the model only 1/8: decoded at 1/4
    [InlineData(2100, 1300, 2, 4)] // the model needs 1/2 (650 px on the shorter side), the thumbnail only 1/4
    public void DecodeWithFingerprint_LargeJpeg_DecodesAtTheSmallerShrinkAndStaysClose(int width, int height, int shared, int other)
    {
        byte[] large = Resized(File.ReadAllBytes(TestPaths.DevFiles()[3]), width, height);
        Assert.Equal(shared, _decoder.SharedShrinkFactor(width, height, Squash224));
        Assert.Equal(other, Math.Max(_decoder.ShrinkFactor(width, height, Squash224), ImageFingerprinter.JpegShrinkFactor(width, height)));

        (byte[] joint, ImageFingerprint fingerprint) = Joint(large, Squash224);
        byte[] alone = Decode(large, Squash224);
        ImageFingerprint computed = _fingerprinter.Compute(large);

        if (_decoder.ShrinkFactor(width, height, Squash224) == shared)
            Assert.True(alone.AsSpan().SequenceEqual(joint), "model pixels differ from Decode's at the decoder's own shrink");
        else
            Assert.True(PixelDifference.Of(alone, joint).Mean < 2.0, "model pixels drifted");
        if (ImageFingerprinter.JpegShrinkFactor(width, height) == shared)
        {
            AssertSameFingerprint(computed, fingerprint, "large");
        }
        else
        {
            Assert.Equal((computed.ContentHash, computed.ThumbnailWidth, computed.ThumbnailHeight), (fingerprint.ContentHash, fingerprint.ThumbnailWidth, fingerprint.ThumbnailHeight));
            Assert.True(PerceptualHash.Distance(computed.PerceptualHash, fingerprint.PerceptualHash) <= 2, "perceptual hash drifted");
        }
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
