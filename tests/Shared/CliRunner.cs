using System.Diagnostics;
namespace ImageEmbed.Tests;

/// <summary>Runs the real CLI (the built imageembed.dll beside the tests) as a child process.</summary>
internal static class CliRunner
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static async Task<Result> RunAsync(IEnumerable<string> args, IDictionary<string, string>? env = null)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(TestPaths.CliDll);
        foreach (string a in args) info.ArgumentList.Add(a);
        TestProcesses.SetEnvironment(info, new Dictionary<string, string> { ["IMAGEEMBED_MODELS_DIR"] = TestPaths.ModelsDir });
        if (env is not null) foreach ((string k, string v) in env) info.Environment[k] = v;

        using Process process = Process.Start(info)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().DefaultTimeout();
        return new Result(process.ExitCode, await stdout, await stderr);
    }
}
