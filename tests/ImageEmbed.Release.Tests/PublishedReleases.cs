using System.Diagnostics;
using ImageEmbed.Tests;

namespace ImageEmbed.Release.Tests;

/// <summary>
/// The four self-contained releases, published once for the class by <c>scripts/publish.sh</c> into a temporary
/// folder, its intermediate files kept out of the source tree (<c>--artifacts-path</c>) so the other test projects'
/// builds are untouched.
/// </summary>
public sealed class PublishedReleases : IDisposable
{
    public static readonly string[] Platforms = ["linux-x64", "linux-arm64", "osx-arm64", "win-x64"];

    private readonly string _root = Directory.CreateTempSubdirectory("imageembed-publish-").FullName;

    public PublishedReleases()
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { Path.Combine(TestPaths.RepoRoot, "scripts", "publish.sh"), "--out", Path.Combine(_root, "out"), "--artifacts-path", Path.Combine(_root, "artifacts") })
            info.ArgumentList.Add(a);
        foreach (string platform in Platforms) info.ArgumentList.Add(platform);
        TestProcesses.SetEnvironment(info, new Dictionary<string, string>());
        using Process publish = Process.Start(info)!;
        Task<string> stdout = publish.StandardOutput.ReadToEndAsync();
        string stderr = publish.StandardError.ReadToEnd();
        if (!publish.WaitForExit(TimeSpan.FromMinutes(20))) publish.Kill(entireProcessTree: true);
        Log = stdout.Result + stderr;
        ExitCode = publish.HasExited ? publish.ExitCode : -1;
    }

    public int ExitCode { get; }
    public string Log { get; }

    public string Folder(string platform) => Path.Combine(_root, "out", "imageembed-" + platform);

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
