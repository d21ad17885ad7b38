using System.Security.Cryptography;
using ImageEmbed.Imaging.Decode;
using ImageEmbed.Imaging.Fingerprint;
using ImageEmbed.Imaging.Intake;
using ImageEmbed.Imaging.Vips;
using ImageEmbed.Tests;

namespace ImageEmbed.Imaging.Tests;

public sealed class ImageFingerprinterTests
{
    private readonly ImageFingerprinter _fingerprinter = new(new ImagingOptions());

    [Fact]
    public void Compute_DevPhoto_HashesBytesAndMakesA256PixelJpegThumbnail()
    {
        string file = TestPaths.DevFiles()[0];
        byte[] bytes = File.ReadAllBytes(file);
        using VipsImage source = VipsImage.LoadFromBuffer(bytes, "", out _);

        ImageFingerprint fp = _fingerprinter.Compute(bytes);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), fp.ContentHash);
        Assert.Equal(ImageFormat.Jpeg, ImageSniffer.Detect(fp.Thumbnail));
        using VipsImage thumb = VipsImage.LoadFromBuffer(fp.Thumbnail, "", out _);
        Assert.Equal((fp.ThumbnailWidth, fp.ThumbnailHeight), (thumb.Width, thumb.Height));
        Assert.Equal(ImageFingerprinter.ThumbnailSize, Math.Max(thumb.Width, thumb.Height));
        Assert.Equal((double)source.Width / source.Height, (double)thumb.Width / thumb.Height, 0.02);
        Assert.True(fp.Thumbnail.Length < 40_000, $"thumbnail is {fp.Thumbnail.Length} bytes");
    }

    [Fact]
    public void Compute_ReencodedAndResizedCopies_KeepThePerceptualHashButNotTheContentHash()
    {
        foreach (string file in TestPaths.DevFiles().Take(10))
        {
            byte[] bytes = File.ReadAllBytes(file);
            using VipsImage image = VipsImage.LoadFromBuffer(bytes, "", out _);
            using VipsImage half = image.Resize(0.5, 0.5, "lanczos3");
            ImageFingerprint original = _fingerprinter.Compute(bytes);
            ImageFingerprint reencoded = _fingerprinter.Compute(image.WriteToBuffer(".jpg[Q=70]"));
            ImageFingerprint resized = _fingerprinter.Compute(half.WriteToBuffer(".png"));

            Assert.NotEqual(original.ContentHash, reencoded.ContentHash);
            Assert.True(PerceptualHash.Distance(original.PerceptualHash, reencoded.PerceptualHash) <= 4, file);
            Assert.True(PerceptualHash.Distance(original.PerceptualHash, resized.PerceptualHash) <= 4, file);
        }
    }

    [Fact]
    public void Compute_DifferentDevPhotos_AreFarApart()
    {
        ulong[] hashes = TestPaths.DevFiles().Take(20).Select(f => _fingerprinter.Compute(File.ReadAllBytes(f)).PerceptualHash).ToArray();
        for (int a = 0; a < hashes.Length; a++)
            for (int b = a + 1; b < hashes.Length; b++)
                Assert.True(PerceptualHash.Distance(hashes[a], hashes[b]) > 10, $"photos {a} and {b}");
    }

    [Fact]
    public void Compute_ExifOrientation_ThumbnailIsUpright()
    {
        byte[] bytes = File.ReadAllBytes(TestPaths.Format("exif_orientation_6.jpg"));
        using VipsImage stored = VipsImage.LoadFromBuffer(bytes, "", out _);

        ImageFingerprint fp = _fingerprinter.Compute(bytes);

        // Orientation 6 is a quarter turn: the displayed image swaps the stored width and height.
        Assert.Equal(stored.Width > stored.Height, fp.ThumbnailWidth < fp.ThumbnailHeight);
    }

    [Fact]
    public void Compute_TransparentPng_FlattensOntoWhite()
    {
        ImageFingerprint fp = _fingerprinter.Compute(File.ReadAllBytes(TestPaths.Format("png_rgba.png")));
        using VipsImage thumb = VipsImage.LoadFromBuffer(fp.Thumbnail, "", out _);
        byte[] rgb = new byte[thumb.Width * thumb.Height * thumb.Bands];
        thumb.WriteToMemory(rgb);

        Assert.Equal(3, thumb.Bands);
        Assert.All(rgb.AsSpan(0, 3).ToArray(), c => Assert.True(c > 245, $"corner is {c}, not white")); // a corner is transparent
    }

    [Theory]
    [InlineData("tiny_1x1.png")]
    [InlineData("cmyk.jpg")]
    [InlineData("png_16bit.png")]
    [InlineData("gif_animated.gif")]
    [InlineData("webp_lossy.webp")]
    [InlineData("tiff.tiff")]
    public void Compute_EveryAcceptedFormat_Fingerprints(string file)
    {
        ImageFingerprint fp = _fingerprinter.Compute(File.ReadAllBytes(TestPaths.Format(file)));
        Assert.True(fp.ThumbnailWidth is >= 1 and <= ImageFingerprinter.ThumbnailSize);
        Assert.Equal(ImageFormat.Jpeg, ImageSniffer.Detect(fp.Thumbnail));
    }

    [Theory]
    [MemberData(nameof(ImageDecoderTests.BadFiles), MemberType = typeof(ImageDecoderTests))]
    public void Compute_BadFile_ThrowsTheDecodersTypedError(string file, Type expected, string reason)
    {
        var e = Assert.ThrowsAny<ImageDecodeException>(() => _fingerprinter.Compute(File.ReadAllBytes(TestPaths.Format(file))));
        Assert.IsType(expected, e);
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }
}

/// <summary>Alone in the process while it runs: libvips' allocation count is process-wide.</summary>
[CollectionDefinition(nameof(FingerprinterLeakTests), DisableParallelization = true)]
public sealed class FingerprinterLeakCollection;

[Collection(nameof(FingerprinterLeakTests))]
public sealed class FingerprinterLeakTests
{
    [Fact]
    public void Compute_ManyTimes_ReleasesEveryLibvipsAllocationAndFile()
    {
        var fingerprinter = new ImageFingerprinter(new ImagingOptions());
        var decoder = new ImageDecoder(new ImagingOptions());
        byte[] rgb = new byte[new Preprocess.ImagePreprocessing().PixelLength];
        byte[][] inputs = [.. TestPaths.DevFiles().Take(3).Select(File.ReadAllBytes), File.ReadAllBytes(TestPaths.Format("png_rgba.png"))];
        byte[] truncated = File.ReadAllBytes(TestPaths.Format("truncated.jpg"));
        void Round()
        {
            foreach (byte[] bytes in inputs)
            {
                fingerprinter.Compute(bytes);
                decoder.DecodeWithFingerprint(bytes, new Preprocess.ImagePreprocessing(), rgb, out _);
            }
            Assert.ThrowsAny<ImageDecodeException>(() => fingerprinter.Compute(truncated)); // failures release too
            Assert.ThrowsAny<ImageDecodeException>(() => decoder.DecodeWithFingerprint(truncated, new Preprocess.ImagePreprocessing(), rgb, out _));
        }

        // As in the native leak test: warm libvips' per-thread caches, then let the count settle.
        for (int i = 0; i < 5; i++) Round();
        int baseline = VipsAllocations.Settled();
        for (int i = 0; i < 25; i++) Round();

        Assert.True(VipsAllocations.Settled() <= baseline, $"libvips holds {VipsRuntime.TrackedAllocations} allocations after 25 rounds, {baseline} before.");
        Assert.Equal(0, VipsRuntime.TrackedFiles);
    }
}
