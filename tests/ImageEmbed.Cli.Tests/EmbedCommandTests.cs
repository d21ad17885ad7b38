using System.Text.Json;
using ImageEmbed.Imaging;
using ImageEmbed.Models;
using ImageEmbed.Tests;

namespace ImageEmbed.Cli.Tests;

public sealed class EmbedCommandTests
{
    [Fact]
    public async Task Embed_ThreeFiles_WritesJsonLinesInOrderEqualToTheEngine()
    {
        string[] files = TestPaths.DevFiles().Take(3).ToArray();

        CliRunner.Result result = await CliRunner.RunAsync(["embed", .. files]);

        Assert.Equal(0, result.ExitCode);
        string[] lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        await using var engine = new EmbeddingEngine(new ModelsOptions { Directory = TestPaths.ModelsDir }, new ImagingOptions());
        for (int i = 0; i < 3; i++)
        {
            using JsonDocument doc = JsonDocument.Parse(lines[i]);
            JsonElement root = doc.RootElement;
            Assert.Equal(files[i], root.GetProperty("file").GetString());
            Assert.Equal("mobilenet-v2-140", root.GetProperty("model").GetString());
            float[] vector = root.GetProperty("embedding").EnumerateArray().Select(e => e.GetSingle()).ToArray();
            Assert.Equal(root.GetProperty("dimensions").GetInt32(), vector.Length);
            float[] expected = (await engine.EmbedImageAsync(File.ReadAllBytes(files[i]), null).DefaultTimeout()).Vector;
            Assert.Equal(expected, vector); // JSON round-trips floats exactly
        }
    }

    [Fact]
    public async Task Embed_BadFilesAmongGood_ReportsEachReasonKeepsGoingExits1()
    {
        string good = TestPaths.DevFiles()[0];
        string[] args = ["embed", "-o", Path.Combine(Path.GetTempPath(), $"out-{Guid.NewGuid():N}.jsonl"), TestPaths.Format("truncated.jpg"), good, TestPaths.Format("html_renamed.png"), TestPaths.Format("bomb_16000x16000.png")];

        CliRunner.Result result = await CliRunner.RunAsync(args);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"error: {TestPaths.Format("truncated.jpg")}: The JPEG image could not be decoded: VipsJpeg: premature end of JPEG image", result.Stderr, StringComparison.Ordinal);
        Assert.Contains($"error: {TestPaths.Format("html_renamed.png")}: The data is not a supported image", result.Stderr, StringComparison.Ordinal);
        Assert.Contains($"error: {TestPaths.Format("bomb_16000x16000.png")}: The image is 16000x16000", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("embedded 1 of 4 file(s)", result.Stderr, StringComparison.Ordinal);
        string[] lines = File.ReadAllLines(args[2]);
        File.Delete(args[2]);
        Assert.Single(lines);
        Assert.Contains(good, lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Embed_Folder_WalksImageFilesRecursively()
    {
        string dir = Directory.CreateTempSubdirectory("imageembed-cli-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "sub"));
            File.Copy(TestPaths.DevFiles()[0], Path.Combine(dir, "a.jpg"));
            File.Copy(TestPaths.DevFiles()[1], Path.Combine(dir, "sub", "b.JPEG"));
            File.WriteAllText(Path.Combine(dir, "notes.txt"), "not an image, and not picked up from a folder");

            CliRunner.Result result = await CliRunner.RunAsync(["embed", "--quiet", dir]);

            Assert.Equal(0, result.ExitCode);
            Assert.Equal(2, result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
            Assert.Equal("", result.Stderr);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Embed_FolderWithAnSvg_ReportsItAsIndexDoes()
    {
        string dir = Directory.CreateTempSubdirectory("imageembed-cli-").FullName;
        try
        {
            File.Copy(TestPaths.DevFiles()[0], Path.Combine(dir, "a.jpg"));
            string svg = Path.Combine(dir, "drawing.svg");
            File.Copy(TestPaths.Format("svg_with_external_ref.svg"), svg);

            CliRunner.Result result = await CliRunner.RunAsync(["embed", "--quiet", dir]);

            Assert.Equal(1, result.ExitCode); // one file could not be embedded
            Assert.Single(result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains($"error: {svg}: The data is not a supported image", result.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Embed_UnknownModel_Exits2NamingInstalledModels()
    {
        CliRunner.Result result = await CliRunner.RunAsync(["embed", "--model", "clip-vit-b32", TestPaths.DevFiles()[0]]);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Unknown model 'clip-vit-b32'. Installed: mobilenet-v2-140.", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Embed_MissingPath_Exits2()
    {
        CliRunner.Result result = await CliRunner.RunAsync(["embed", "/no/such/file.jpg"]);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("No such file or folder: /no/such/file.jpg", result.Stderr, StringComparison.Ordinal);
    }
}
