using System.Globalization;
using ImageEmbed.Imaging.Decode;
using ImageEmbed.Imaging.Preprocess;
using ImageEmbed.Tests;
using Xunit.Abstractions;

namespace ImageEmbed.Imaging.Tests;

/// <summary>CLIP's pixels from the decoder against Hugging Face CLIPImageProcessor's (<see cref="ClipCrops"/>).</summary>
public sealed class ClipCropParityTests(ITestOutputHelper output)
{
    private static readonly ImagePreprocessing Clip = new()
    {
        Width = 224, Height = 224, Resize = ResizeMode.ShortestSideCenterCrop, Kernel = "cubic",
        Mean = [0.48145466f, 0.4578275f, 0.40821073f], Std = [0.26862954f, 0.26130258f, 0.27577711f], Layout = TensorLayout.Nchw,
    };

    [Fact]
    public void Decode_EveryReferenceFile_WithinTheTargets()
    {
        // The reference decodes every pixel; shrink-on-load (a separate, measured shortcut) is off here.
        var decoder = new ImageDecoder(new ImagingOptions { ShrinkOnLoad = false });
        var scores = new List<(string Name, double Mean)>();
        byte[] rgb = new byte[Clip.PixelLength];
        foreach ((string source, string crop) in ClipCrops.Pairs())
        {
            decoder.Decode(File.ReadAllBytes(source), Clip, rgb);
            scores.Add((Path.GetFileNameWithoutExtension(source), ClipCrops.MeanDifference(rgb, ClipCrops.Pixels(crop))));
        }
        foreach ((string name, double mean) in scores.OrderByDescending(s => s.Mean).Take(5))
            output.WriteLine($"{name}: {mean.ToString("F2", CultureInfo.InvariantCulture)}");
        output.WriteLine($"median {ClipCrops.AssertTargets(scores).ToString("F3", CultureInfo.InvariantCulture)} over {scores.Count} files");
    }

    [Fact]
    public void ShortestSideSize_AsCLIPImageProcessor()
    {
        Assert.Equal((298, 224), ImageDecoder.ShortestSideSize(500, 375, Clip)); // int(224 · 500 / 375) = 298, not 299
        Assert.Equal((224, 336), ImageDecoder.ShortestSideSize(333, 500, Clip));
        Assert.Equal((224, 224), ImageDecoder.ShortestSideSize(170, 170, Clip));
        Assert.Equal((331, 224), ImageDecoder.ShortestSideSize(240, 162, Clip));
    }
}
