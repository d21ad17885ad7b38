using ImageEmbed.Imaging.Decode;
using ImageEmbed.Imaging.Preprocess;
using ImageEmbed.Imaging.Vips;
using Enums = NetVips.Enums;
using ImageEmbed.Tests;

namespace ImageEmbed.Imaging.Tests;

public sealed class SrgbProfilesTests
{
    private static readonly ImagePreprocessing Squash224 = new();

    public static TheoryData<string, bool> Profiled => new()
    {
        { "n01682714_American_chameleon.JPEG", true }, // sRGB IEC61966-2.1
        { "n02391049_zebra.JPEG", true },              // sRGB IEC61966-2.1, another copy of it
        { "n03095699_container_ship.JPEG", false },    // Adobe RGB (1998)
        { "n01601694_water_ouzel.JPEG", false },       // a camera's RGB profile
    };

    [Theory]
    [MemberData(nameof(Profiled))]
    public void IsSrgb_TellsSrgbCopiesFromOtherProfiles(string photo, bool srgb)
    {
        using VipsImage image = VipsImage.LoadFromBuffer(File.ReadAllBytes(TestPaths.Dev(photo)), "", out _);
        Assert.NotNull(image.GetBlob("icc-profile-data"));
        Assert.Equal(srgb, SrgbProfiles.IsSrgb(image));
        Assert.Equal(srgb, SrgbProfiles.IsSrgb(image)); // the remembered verdict agrees
    }

    [Theory]
    [InlineData("cmyk.jpg")]
    [InlineData("gray.jpg")]
    [InlineData("png_rgba.png")]
    public void IsSrgb_FalseWithoutAnRgbProfile(string file)
    {
        using VipsImage image = VipsImage.LoadFromBuffer(File.ReadAllBytes(TestPaths.Format(file)), "", out _);
        Assert.False(SrgbProfiles.IsSrgb(image));
    }

    [Theory]
    [MemberData(nameof(Profiled))]
    public void Decode_MatchesTheFullIccTransformWithinOneLevel(string photo, bool srgb)
    {
        byte[] encoded = File.ReadAllBytes(TestPaths.Dev(photo));
        byte[] decoded = new byte[Squash224.PixelLength];
        new ImageDecoder(new ImagingOptions()).Decode(encoded, Squash224, decoded);

        // The same pipeline with the profile always applied, as libvips would without the shortcut.
        using VipsImage loaded = VipsImage.LoadFromBuffer(encoded, "", out _);
        using VipsImage transformed = loaded.IccTransform("srgb", Enums.Intent.Perceptual, depth: 8);
        using VipsImage resized = transformed.Resize(224.0 / transformed.Width, 224.0 / transformed.Height, Squash224.Kernel);
        byte[] expected = new byte[Squash224.PixelLength];
        resized.WriteToMemory(expected);

        int worst = 0;
        for (int i = 0; i < expected.Length; i++) worst = Math.Max(worst, Math.Abs(decoded[i] - expected[i]));
        Assert.True(worst <= 1, $"{photo} (sRGB: {srgb}): a pixel differs by {worst} levels from the transformed decode.");
    }
}
