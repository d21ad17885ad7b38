using System.Text.Json;
using ImageEmbed.Tests;

namespace ImageEmbed.Cli.Tests;

public sealed class TokenizeCommandTests
{
    [Fact]
    public async Task Tokenize_ReferenceTexts_PrintsTheReferenceIdsOnePerLine()
    {
        using JsonDocument reference = JsonDocument.Parse(File.ReadAllBytes(TestPaths.ReferenceFile("clip-vit-b32-tokenizer.json")));
        JsonElement[] cases = reference.RootElement.GetProperty("cases").EnumerateArray().Take(20).ToArray();
        string[] texts = cases.Select(c => c.GetProperty("text").GetString()!).ToArray();

        CliRunner.Result result = await CliRunner.RunAsync(["tokenize", "--tokenizer", Path.Combine(TestPaths.Shared, "tokenizers", "clip-vit-b32"), "--", .. texts]);

        Assert.Equal(0, result.ExitCode);
        string[] lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(texts.Length, lines.Length);
        for (int i = 0; i < texts.Length; i++)
            Assert.Equal(cases[i].GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()), JsonSerializer.Deserialize<int[]>(lines[i])!);
    }

    [Fact]
    public async Task Tokenize_ImageOnlyModel_Exits2SayingItHasNoTokenizer()
    {
        CliRunner.Result result = await CliRunner.RunAsync(["tokenize", "--model", "mobilenet-v2-140", "a cat"]);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Model 'mobilenet-v2-140' is image-only", result.Stderr, StringComparison.Ordinal);
    }
}
