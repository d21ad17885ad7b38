using System.Diagnostics;

namespace ImageEmbed.Tests;

/// <summary>
/// The nsfwjs@4.3.0 MobileNetV2 (TensorFlow.js) the importer's tests convert: a test fixture fetched from the
/// npm registry by <c>scripts/fetch-nsfwjs.sh</c> on first use (the product's build no longer needs npm).
/// </summary>
internal static class NsfwjsFixture
{
    private static readonly Lazy<string> s_folder = new(Fetch, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary><c>.native/nsfwjs/mobilenet_v2_mid</c> (model.min.js and its shards), fetched if missing.</summary>
    public static string Folder => Path.Combine(s_folder.Value, "mobilenet_v2_mid");

    /// <summary>The npm tarball <c>nsfwjs-4.3.0.tgz</c> as the registry serves it, fetched if missing.</summary>
    public static string Tarball => Path.Combine(s_folder.Value, "nsfwjs-4.3.0.tgz");

    private static string Fetch()
    {
        string script = Path.Combine(TestPaths.RepoRoot, "scripts", "fetch-nsfwjs.sh");
        // One fetch at a time across test processes: the script replaces the folder as a whole.
        using (var lockFile = WaitForLock(Path.Combine(Path.GetTempPath(), "imageembed-nsfwjs.lock")))
        {
            using Process process = Process.Start(new ProcessStartInfo("bash", [script]) { RedirectStandardError = true })!;
            string errors = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0) throw new InvalidOperationException($"scripts/fetch-nsfwjs.sh failed ({process.ExitCode}): {errors}");
        }
        return Path.Combine(TestPaths.RepoRoot, ".native", "nsfwjs");
    }

    private static FileStream WaitForLock(string path)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (IOException) when (attempt < 600)
            {
                Thread.Sleep(200);
            }
        }
    }
}
