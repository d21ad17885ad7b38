using ImageEmbed.Storage.Keys;
using ImageEmbed.Tests;

namespace ImageEmbed.Cli.Tests;

public sealed class KeysCommandTests : IDisposable
{
    private readonly CliWorkspace _work = new();

    public void Dispose() => _work.Dispose();

    [Fact]
    public async Task Keys_CreateListRevoke_FileHoldsOnlyHashesTheServiceFormat()
    {
        CliRunner.Result created = await _work.RunAsync("keys", "create", "--name", "ci runner");
        Assert.Equal(0, created.ExitCode);
        string key = created.Stdout.Trim();
        Assert.Matches("^ie_[A-Za-z0-9_-]{32}$", key);
        string file = File.ReadAllText(Path.Combine(_work.Data, ApiKeyFile.FileName));
        Assert.DoesNotContain(key, file, StringComparison.Ordinal);
        StoredApiKey stored = Assert.Single(ApiKeyFile.Read(_work.Data));
        Assert.Equal(Convert.ToHexStringLower(ApiKeyFile.Hash(key)), stored.Sha256);
        Assert.Equal("ci runner", stored.Name);
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_work.Data, ApiKeyFile.FileName)));

        CliRunner.Result list = await _work.RunAsync("keys", "list");
        Assert.Matches($@"\n{stored.Id}  \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d  admin  ci runner\n", list.Stdout);
        Assert.DoesNotContain(key, list.Stdout, StringComparison.Ordinal);

        Assert.Equal(0, (await _work.RunAsync("keys", "revoke", stored.Id)).ExitCode);
        Assert.Empty(ApiKeyFile.Read(_work.Data));
        CliRunner.Result again = await _work.RunAsync("keys", "revoke", stored.Id);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains($"error: no key with id '{stored.Id}'", again.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeysCreate_Scope_StoredAndListed()
    {
        CliRunner.Result created = await _work.RunAsync("keys", "create", "--scope", "read", "--name", "dashboard");
        Assert.Equal(0, created.ExitCode);
        StoredApiKey stored = Assert.Single(ApiKeyFile.Read(_work.Data));
        Assert.Equal(KeyScope.Read, stored.Scope);
        Assert.Contains("(read scope)", created.Stderr, StringComparison.Ordinal);
        Assert.Matches($@"\n{stored.Id}  .{{19}}  read   dashboard\n", (await _work.RunAsync("keys", "list")).Stdout);

        CliRunner.Result wrong = await _work.RunAsync("keys", "create", "--scope", "reed");
        Assert.Equal(2, wrong.ExitCode);
        Assert.Contains("Unknown scope 'reed': use embed, read, write or admin.", wrong.Stderr, StringComparison.Ordinal);
        Assert.Single(ApiKeyFile.Read(_work.Data));
    }

    [Fact]
    public async Task Keys_UnknownAction_Exits2()
    {
        CliRunner.Result result = await _work.RunAsync("keys", "rotate");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Unknown action 'rotate': use create, list or revoke.", result.Stderr, StringComparison.Ordinal);
    }
}
