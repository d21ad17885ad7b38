using System.Diagnostics;
using System.Net;
using ImageEmbed.Tests;

namespace ImageEmbed.Cli.Tests;

/// <summary><c>--server</c>: the same commands against a running service (a child process on loopback).</summary>
public sealed class ServerModeTests : IDisposable
{
    private const string Key = "cli-server-key";
    private readonly CliWorkspace _work = new();

    public void Dispose() => _work.Dispose();

    [Fact]
    public async Task IndexAndSearch_AgainstServer_StoresOnceSkipsUnchangedAndPrintsTable()
    {
        int port = TestNetwork.FreePort();
        string server = $"http://127.0.0.1:{port}";
        string serviceData = Path.Combine(_work.Root, "service-data");
        using Process service = await StartServiceAsync(port, serviceData);
        try
        {
            string dir = _work.CopyInto("remote", TestPaths.DevFiles().Take(6).Append(TestPaths.Format("truncated.jpg")));

            CliRunner.Result first = await _work.RunAsync("index", "remote", dir, "--server", server, "--api-key", Key);
            Assert.Equal(1, first.ExitCode);
            Assert.Contains("indexed 6 new or changed item(s), skipped 0 unchanged, 1 failed", first.Stderr, StringComparison.Ordinal);
            Assert.Contains("truncated.jpg: Unable to process the provided image: The JPEG image could not be decoded", first.Stderr, StringComparison.Ordinal);

            CliRunner.Result second = await _work.RunAsync(new Dictionary<string, string> { ["IMAGEEMBED_API_KEY"] = Key }, "index", "remote", dir, "--server", server);
            Assert.Contains("nothing new to embed: 6 unchanged item(s) skipped, 1 failed; collection 'remote' has 6 item(s) (was 6).", second.Stderr, StringComparison.Ordinal);

            string query = TestPaths.DevFiles()[2];
            CliRunner.Result search = await _work.RunAsync("search", "remote", "--image", query, "-k", "3", "--server", server, "--api-key", Key);
            Assert.Equal(0, search.ExitCode);
            string[] lines = search.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(5, lines.Length); // header, rule, 3 rows
            Assert.Matches(@"^1  1\.0000  remote/" + Path.GetFileName(query).Replace(".", "\\.") + "  ", lines[2]);

            CliRunner.Result wrongKey = await _work.RunAsync("search", "remote", "--text", "x", "--server", server, "--api-key", "nope");
            Assert.Equal(1, wrongKey.ExitCode);
            Assert.Contains($"error: The server at {server}/ answered 401: Invalid or missing API key", wrongKey.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            service.Kill();
            await service.WaitForExitAsync().DefaultTimeout();
        }
    }

    [Fact]
    public async Task Index_ServerWithSmallByteLimit_BatchesFitAndOnlyOversizedImagesFail()
    {
        int port = TestNetwork.FreePort();
        string server = $"http://127.0.0.1:{port}";
        // 250 kB per image: the server's body limit is then about 1.4 MB, far below 30 photos as data URIs.
        using Process service = await StartServiceAsync(port, Path.Combine(_work.Root, "service-data"), new() { ["IMAGEEMBED_MAX_BYTES"] = "250000" });
        try
        {
            string[] files = TestPaths.DevFiles().Take(30).ToArray();
            string dir = _work.CopyInto("many", files);
            string[] oversized = files.Where(f => new FileInfo(f).Length > 250_000).Select(Path.GetFileName).ToArray()!;
            Assert.NotEmpty(oversized);

            CliRunner.Result run = await _work.RunAsync("index", "many", dir, "--server", server, "--api-key", Key);

            Assert.Equal(1, run.ExitCode);
            Assert.Contains($"indexed {files.Length - oversized.Length} new or changed item(s), skipped 0 unchanged, {oversized.Length} failed", run.Stderr, StringComparison.Ordinal);
            foreach (string name in oversized) Assert.Contains($"{Path.Combine(dir, name)}: ", run.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            service.Kill();
            await service.WaitForExitAsync().DefaultTimeout();
        }
    }

    private static async Task<Process> StartServiceAsync(int port, string data, Dictionary<string, string>? extra = null)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { TestPaths.ServiceDll, "--urls", $"http://127.0.0.1:{port}" }) info.ArgumentList.Add(a);
        TestProcesses.SetEnvironment(info, new Dictionary<string, string>
        {
            ["IMAGEEMBED_MODELS_DIR"] = TestPaths.ModelsDir,
            ["IMAGEEMBED_DATA_DIR"] = data,
            ["IMAGEEMBED_API_KEYS"] = Key,
        });
        if (extra is not null) foreach ((string k, string v) in extra) info.Environment[k] = v;
        Process process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var http = new HttpClient();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            Assert.False(process.HasExited, "the service exited");
            try
            {
                using HttpResponseMessage ready = await http.GetAsync($"http://127.0.0.1:{port}/readyz");
                if (ready.StatusCode == HttpStatusCode.OK) return process;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(200);
        }
        process.Kill();
        throw new TimeoutException("The service did not become ready.");
    }
}
