using ImageEmbed.Tests;
using System.Text.RegularExpressions;

namespace ImageEmbed.Cli.Tests;

public sealed partial class HelpTests
{
    [Theory]
    [InlineData("embed")]
    [InlineData("index")]
    [InlineData("search")]
    [InlineData("dedup")]
    [InlineData("cluster")]
    [InlineData("export")]
    [InlineData("import")]
    [InlineData("keys")]
    [InlineData("models")]
    [InlineData("bench")]
    [InlineData("tokenize")]
    public async Task Help_EveryCommand_ListsOptionsThatTheParserAccepts(string command)
    {
        CliRunner.Result help = await CliRunner.RunAsync([command, "--help"]);

        Assert.Equal(0, help.ExitCode);
        Assert.StartsWith($"Usage: imageembed {command}", help.Stdout, StringComparison.Ordinal);
        // Every option the help shows is one the parser knows: "--x" is never an unknown option.
        foreach (Match m in OptionPattern().Matches(help.Stdout))
        {
            CliRunner.Result probe = await CliRunner.RunAsync([command, m.Groups[1].Value, "--help"]);
            Assert.DoesNotContain("Unknown option", probe.Stderr, StringComparison.Ordinal);
        }
        // And every option named anywhere in the text (usage line, details, examples) is one of those listed.
        var listed = OptionPattern().Matches(help.Stdout).Select(m => m.Groups[1].Value).ToHashSet();
        foreach (string mentioned in MentionPattern().Matches(help.Stdout).Select(m => m.Value).Distinct())
            Assert.True(listed.Contains(mentioned) || mentioned == "--help", $"'{command} --help' mentions {mentioned}, which its options list lacks");
    }

    [Fact]
    public async Task Help_General_ListsEveryCommand()
    {
        CliRunner.Result help = await CliRunner.RunAsync(["--help"]);
        Assert.Equal(0, help.ExitCode);
        foreach (string command in new[] { "serve", "embed", "index", "search", "dedup", "cluster", "export", "import", "keys", "models", "tokenize", "bench", "version" })
            Assert.Matches($@"\n  {command} ", help.Stdout);
    }

    [Fact]
    public async Task UnknownOption_Exits2WithPointerToHelp()
    {
        CliRunner.Result result = await CliRunner.RunAsync(["embed", "--frobnicate", "x.jpg"]);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Unknown option '--frobnicate' for 'embed'. See 'imageembed embed --help'.", result.Stderr, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^  (?:-\w, |    )?(--[a-z0-9-]+)(?= )", RegexOptions.Multiline)]
    private static partial Regex OptionPattern();

    [GeneratedRegex(@"(?<![\w-])--[a-z][a-z0-9-]*[a-z0-9]")]
    private static partial Regex MentionPattern();
}
