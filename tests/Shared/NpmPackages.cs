using System.Diagnostics;

namespace ImageEmbed.Tests;

/// <summary>
/// npm packages the tests need (PGlite, the openai client, Hugging Face's tokenizers), installed on first use into <c>.native/FOLDER</c>
/// (ignored by git; <c>IMAGEEMBED_NATIVE_DIR</c> moves it, as for scripts/fetch-nsfwjs.sh). A stamp naming the
/// versions makes later runs skip npm; one test process installs while others wait on a lock file.
/// </summary>
internal static class NpmPackages
{
    private static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(5);

    /// <summary>The folder whose <c>node_modules</c> holds <paramref name="packages"/> (<c>name@version</c>).</summary>
    /// <param name="whyNeeded">Names the tests that need them, for the message when npm is missing.</param>
    public static async Task<string> InstallAsync(string folder, string[] packages, string whyNeeded)
    {
        string native = Environment.GetEnvironmentVariable("IMAGEEMBED_NATIVE_DIR") is { Length: > 0 } d ? d : Path.Combine(TestPaths.RepoRoot, ".native");
        string dir = Path.Combine(native, folder);
        string stamp = Path.Combine(dir, ".stamp");
        string want = string.Join(' ', packages);
        if (File.Exists(stamp) && File.ReadAllText(stamp).Trim() == want) return dir;

        Directory.CreateDirectory(dir);
        using FileStream held = await LockAsync(Path.Combine(dir, ".lock")).ConfigureAwait(false);
        if (File.Exists(stamp) && File.ReadAllText(stamp).Trim() == want) return dir; // another process installed it

        string npm = FindOnPath("npm") ?? throw new InvalidOperationException(
            $"{whyNeeded} install {want} with npm, and 'npm' is not on PATH. Install npm (apt-get install npm; .ci/run does).");
        // A package.json of its own keeps npm from looking for one in the folders above.
        await File.WriteAllTextAsync(Path.Combine(dir, "package.json"), "{ \"private\": true }\n").ConfigureAwait(false);
        var install = new ProcessStartInfo(npm)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = dir,
        };
        foreach (string arg in new[] { "install", "--no-audit", "--no-fund", "--ignore-scripts", "--no-save" }.Concat(packages))
            install.ArgumentList.Add(arg);
        using Process process = Process.Start(install)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(InstallTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"npm install {want} took over {InstallTimeout.TotalMinutes} minutes.");
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"npm install {want} failed (exit {process.ExitCode}):\n{await stdout.ConfigureAwait(false)}{await stderr.ConfigureAwait(false)}");
        await File.WriteAllTextAsync(stamp, want + "\n").ConfigureAwait(false);
        return dir;
    }

    /// <summary>Runs a Node script (placed beside <c>node_modules</c>, so its packages resolve) and returns what it wrote to stdout.</summary>
    /// <param name="whyNeeded">Names the tests that need Node, for the message when it is missing.</param>
    /// <exception cref="InvalidOperationException">Node is missing, or the script exited non-zero (the message carries its stderr).</exception>
    public static async Task<string> RunNodeAsync(string script, IEnumerable<string> arguments, string whyNeeded, IDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(FindOnPath("node") ?? throw new InvalidOperationException($"{whyNeeded} need 'node' on PATH (apt-get install nodejs npm; .ci/run does)."))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(script)!,
        };
        start.ArgumentList.Add(script);
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        foreach ((string name, string value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        using Process node = Process.Start(start)!;
        Task<string> stdout = node.StandardOutput.ReadToEndAsync();
        Task<string> stderr = node.StandardError.ReadToEndAsync();
        await node.WaitForExitAsync().DefaultTimeout().ConfigureAwait(false);
        if (node.ExitCode != 0) throw new InvalidOperationException($"node {Path.GetFileName(script)} exited {node.ExitCode}: {await stderr.ConfigureAwait(false)}");
        return await stdout.ConfigureAwait(false);
    }

    /// <summary>The full path of an executable on PATH, or null.</summary>
    public static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name))
            .FirstOrDefault(File.Exists);

    private static async Task<FileStream> LockAsync(string path)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (waited.Elapsed < InstallTimeout)
            {
                await Task.Delay(200).ConfigureAwait(false);
            }
        }
    }
}
