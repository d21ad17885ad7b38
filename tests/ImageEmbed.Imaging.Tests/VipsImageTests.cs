using ImageEmbed.Imaging.Decode;
using ImageEmbed.Imaging.Vips;
using ImageEmbed.Tests;
using Enums = NetVips.Enums;

namespace ImageEmbed.Imaging.Tests;

// libvips' tracked-allocation counters are process-wide: these tests run alone, after the parallel ones
// (they came from a project of their own; beside the decoder's tests, other images were counted as leaks).
[CollectionDefinition(nameof(VipsImageTests), DisableParallelization = true)]
public sealed class VipsImageTestsCollection;

[Collection(nameof(VipsImageTests))]
public sealed class VipsImageTests
{
    [Fact]
    public void Load_Bomb_ReadsHeaderWithoutDecodingPixels()
    {
        byte[] bomb = File.ReadAllBytes(TestPaths.Format("bomb_16000x16000.png"));
        long before = VipsRuntime.TrackedMemory;

        using VipsImage image = VipsImage.LoadFromBuffer(bomb, "", out string loader);

        Assert.StartsWith("VipsForeignLoadPng", loader, StringComparison.Ordinal);
        Assert.Equal(16000, image.Width);
        Assert.Equal(16000, image.Height);
        // 16000 x 16000 x 3 would be 768 MB; the header costs nothing of it.
        Assert.True(VipsRuntime.TrackedMemory - before < 16 * 1024 * 1024);
    }

    [Fact]
    public void WriteToMemory_TruncatedJpeg_FailsWhenPixelsAreComputed()
    {
        byte[] truncated = File.ReadAllBytes(TestPaths.Format("truncated.jpg"));
        using VipsImage image = VipsImage.LoadFromBuffer(truncated, "fail_on=warning", out _);
        using VipsImage small = image.Resize(0.1, 0.1, "linear");

        var e = Assert.Throws<VipsException>(() => small.WriteToMemory(new byte[small.Width * small.Height * small.Bands]));
        Assert.Contains("premature end of JPEG", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_Html_ThrowsVipsExceptionNamingTheProblem()
    {
        var e = Assert.Throws<VipsException>(() => VipsImage.LoadFromBuffer(File.ReadAllBytes(TestPaths.Format("html_renamed.png")), "", out _));
        Assert.Contains("Unsupported image format", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_Svg_IsBlocked()
    {
        // SVG is parsed by librsvg, which follows references: its loader is blocked process-wide.
        Assert.Throws<VipsException>(() => VipsImage.LoadFromBuffer(File.ReadAllBytes(TestPaths.Format("svg_with_external_ref.svg")), "", out _));
    }

    [Fact]
    public void Pipeline_HundredDecodes_ReleasesEveryAllocationAndFile()
    {
        byte[] jpeg = File.ReadAllBytes(TestPaths.DevFiles()[0]);
        byte[] pixels = new byte[224 * 224 * 3];
        void DecodeOnce()
        {
            using VipsImage image = VipsImage.LoadFromBuffer(jpeg, "", out _);
            using VipsImage srgb = image.Colourspace(Enums.Interpretation.Srgb);
            using VipsImage resized = srgb.Resize(224.0 / srgb.Width, 224.0 / srgb.Height, "linear");
            Assert.Equal(pixels.Length, resized.WriteToMemory(pixels));
        }

        // libvips' worker threads keep a small per-thread buffer cache, and they release a pipeline's
        // buffers a moment after it ends: warm up first, and let the count settle before reading it.
        for (int i = 0; i < 10; i++) DecodeOnce();
        int baseline = VipsAllocations.Settled();
        for (int i = 0; i < 100; i++) DecodeOnce();

        Assert.True(VipsAllocations.Settled() <= baseline, $"libvips holds {VipsRuntime.TrackedAllocations} allocations after 100 decodes, {baseline} before.");
        Assert.Equal(0, VipsRuntime.TrackedFiles);
    }

    [Fact]
    public void WriteToBuffer_Png_RoundTripsDimensions()
    {
        using VipsImage image = VipsImage.LoadFromBuffer(File.ReadAllBytes(TestPaths.Format("tiny_1x1.png")), "", out _);
        using VipsImage bigger = image.Resize(8, 4, "nearest");
        byte[] png = bigger.WriteToBuffer(".png");

        using VipsImage again = VipsImage.LoadFromBuffer(png, "", out _);
        Assert.Equal((8, 4), (again.Width, again.Height));
    }

    [Fact]
    public void Operation_Fails_ThrowsWithLibvipsMessage()
    {
        using VipsImage image = VipsImage.LoadFromBuffer(File.ReadAllBytes(TestPaths.Format("tiny_1x1.png")), "", out _);
        // libvips' error buffer is process-wide: under the decoder's diagnosis lock no other image's failure is read
        // in between (as the decoder itself reports a failure).
        VipsException e;
        lock (UntrustedImage.Diagnosis)
        {
            VipsRuntime.ClearErrors();
            e = Assert.Throws<VipsException>(() => image.ExtractArea(0, 0, 5, 5));
        }
        Assert.Contains("bad extract area", e.Message, StringComparison.Ordinal);
        Assert.Contains(e.NativeLines, line => line.Contains("extract_area", StringComparison.Ordinal));
    }

    [Fact]
    public void Resize_UnknownKernel_ThrowsNamingTheKernels()
    {
        using VipsImage image = VipsImage.LoadFromBuffer(File.ReadAllBytes(TestPaths.Format("tiny_1x1.png")), "", out _);
        var e = Assert.Throws<ArgumentException>(() => image.Resize(2, 2, "no-such-kernel"));
        Assert.Contains("'no-such-kernel'", e.Message, StringComparison.Ordinal);
        Assert.Contains("lanczos3", e.Message, StringComparison.Ordinal);
    }
}
