using System.Text.Json;
using ImageEmbed.Tests;

namespace ImageEmbed.Cli.Tests;

/// <summary>
/// <c>imageembed models pull hf:OWNER/REPO</c> as a user runs it, with <c>IMAGEEMBED_MODEL_MIRROR</c> pointing at a
/// loopback server laid out like the hub (<see cref="HubMirror"/>, a fake) that serves a synthetic SigLIP export.
/// </summary>
public sealed class ModelsPullHubTests : IDisposable
{
    private readonly string _models = Directory.CreateTempSubdirectory("imageembed-cli-hf-").FullName;
    private readonly HubMirror _hub = new();

    public ModelsPullHubTests() => _hub.Add("test/synthetic-siglip", SyntheticSiglip.RepositoryFiles());

    public void Dispose()
    {
        _hub.Dispose();
        Directory.Delete(_models, recursive: true);
    }

    private Task<CliRunner.Result> RunAsync(params string[] args) =>
        CliRunner.RunAsync(args, new Dictionary<string, string> { ["IMAGEEMBED_MODELS_DIR"] = _models, ["IMAGEEMBED_MODEL_MIRROR"] = _hub.Url });

    [Fact]
    public async Task PullHf_SiglipExport_InstalledListedAndTokenizing()
    {
        CliRunner.Result pull = await RunAsync("models", "pull", "hf:test/synthetic-siglip", "--name", "siglip-test", "--logit-scale", "10", "--logit-bias", "-2");

        Assert.True(pull.ExitCode == 0, pull.Stderr);
        Assert.Contains("installed siglip-test (768-d, siglip tokenizer, sigmoid scores)", pull.Stderr, StringComparison.Ordinal);
        Assert.Contains($"from huggingface.co/test/synthetic-siglip at {HubMirror.Commit}", pull.Stderr, StringComparison.Ordinal);
        Assert.Contains($"/api/models/test/synthetic-siglip/revision/main", _hub.Requests);

        CliRunner.Result list = await RunAsync("models", "list");
        string[] lines = list.Stdout.Split('\n');
        Assert.Matches(@"^siglip-test\s+768\s+yes\s+installed\s", lines.Single(l => l.StartsWith("siglip-test ", StringComparison.Ordinal)));
        Assert.Matches(@"^siglip-base-patch16-224\s+768\s+yes\s+available\s+Google SigLIP", lines.Single(l => l.StartsWith("siglip-base-patch16-224 ", StringComparison.Ordinal)));
        Assert.Matches(@"^siglip-base-patch16-224-q8\s+768\s+yes\s+available\s", lines.Single(l => l.StartsWith("siglip-base-patch16-224-q8 ", StringComparison.Ordinal)));
        Assert.Matches(@"^clip-vit-b32\s+512\s", lines.Single(l => l.StartsWith("clip-vit-b32 ", StringComparison.Ordinal)));

        CliRunner.Result tokens = await RunAsync("tokenize", "--model", "siglip-test", "A photo, of a CAT!", "a photo of a cat");
        string[] ids = tokens.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, ids.Length);
        Assert.Equal(ids[0], ids[1]);
        Assert.Equal(1, JsonSerializer.Deserialize<int[]>(ids[0])![^1]); // ends with </s>, no start token
    }

    [Fact]
    public async Task PullHf_UnknownSiglipWithoutCalibration_Exit1NamingTheOptions()
    {
        CliRunner.Result pull = await RunAsync("models", "pull", "hf:test/synthetic-siglip");

        Assert.Equal(1, pull.ExitCode);
        Assert.Contains("give both: --logit-scale X --logit-bias Y", pull.Stderr, StringComparison.OrdinalIgnoreCase);
        Assert.False(Directory.Exists(Path.Combine(_models, "synthetic-siglip")));
    }

    [Theory]
    [InlineData("hf:just-a-name", "is not OWNER/REPO")]
    [InlineData("hf:test/synthetic-siglip --logit-scale 10", "Give --logit-scale and --logit-bias together.")]
    public async Task PullHf_BadArguments_Exit2WithTheReason(string arguments, string expected)
    {
        CliRunner.Result pull = await RunAsync(["models", "pull", .. arguments.Split(' ')]);

        Assert.Equal(2, pull.ExitCode);
        Assert.Contains(expected, pull.Stderr, StringComparison.Ordinal);
    }
}
