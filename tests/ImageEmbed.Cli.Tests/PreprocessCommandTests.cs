using ImageEmbed.Tests;

namespace ImageEmbed.Cli.Tests;

/// <summary>
/// <c>imageembed preprocess --model clip-vit-b32</c> (not installed here: the recipe comes from the catalog) over the
/// dev and formats folders, each PNG compared with Hugging Face CLIPImageProcessor's crop (<see cref="ClipCrops"/>).
/// </summary>
public sealed class PreprocessCommandTests : IDisposable
{
    private readonly CliWorkspace _work = new();

    public void Dispose() => _work.Dispose();

    [Fact]
    public async Task Preprocess_ClipOnTheSharedImages_MatchesTheReferenceCrops()
    {
        string output = _work.File("seen");
        // Shrink-on-load decodes large JPEGs at 1/2-1/8 scale; the reference decodes every pixel.
        CliRunner.Result result = await _work.RunAsync("preprocess", "--model", "clip-vit-b32", "-o", output, TestPaths.DevImages, TestPaths.FormatImages, "--Imaging:ShrinkOnLoad=false");

        Assert.Equal(1, result.ExitCode); // the formats folder holds files that are not images
        Assert.Contains($"error: {TestPaths.Format("truncated.jpg")}: The JPEG image could not be decoded", result.Stderr, StringComparison.Ordinal);
        var scores = new List<(string Name, double Mean)>();
        foreach ((string source, string crop) in ClipCrops.Pairs())
        {
            string name = Path.GetFileNameWithoutExtension(source);
            string png = Path.Combine(output, name + ".png");
            Assert.True(File.Exists(png), $"no {name}.png was written");
            scores.Add((name, ClipCrops.MeanDifference(ClipCrops.Pixels(png), ClipCrops.Pixels(crop))));
        }
        ClipCrops.AssertTargets(scores);
    }

    [Fact]
    public async Task Preprocess_UnknownModel_Exits2NamingIt()
    {
        CliRunner.Result result = await _work.RunAsync("preprocess", "--model", "no-such-model", "-o", _work.File("x"), TestPaths.DevFiles()[0]);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("no-such-model", result.Stderr, StringComparison.Ordinal);
    }
}
