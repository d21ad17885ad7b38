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
        using Process service = await ServiceProcess.StartAsync(port, new Dictionary<string, string> { ["IMAGEEMBED_DATA_DIR"] = serviceData, ["IMAGEEMBED_API_KEYS"] = Key });
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
    public async Task ExportImportDedupCluster_AgainstServer_SameAsTheServiceHolds()
    {
        int port = TestNetwork.FreePort();
        string server = $"http://127.0.0.1:{port}";
        using Process service = await ServiceProcess.StartAsync(port, new Dictionary<string, string> { ["IMAGEEMBED_DATA_DIR"] = Path.Combine(_work.Root, "service-data"), ["IMAGEEMBED_API_KEYS"] = Key });
        try
        {
            string[] photos = TestPaths.DevFiles().Take(5).ToArray();
            string dir = _work.CopyInto("remote", photos);
            File.Copy(photos[0], Path.Combine(dir, "copy-of-" + Path.GetFileName(photos[0]))); // an exact duplicate
            Assert.Equal(0, (await _work.RunAsync("index", "photos", dir, "--server", server, "--api-key", Key)).ExitCode);

            string file = _work.File("photos.jsonl");
            CliRunner.Result export = await _work.RunAsync("export", "photos", "-o", file, "--server", server, "--api-key", Key);
            Assert.Equal(0, export.ExitCode);
            Assert.Contains("exported 6 item(s) of 'photos' (mobilenet-v2-140, 1792-d)", export.Stderr, StringComparison.Ordinal);
            string[] lines = File.ReadAllLines(file);
            Assert.Equal(6, lines.Length);

            CliRunner.Result import = await _work.RunAsync("import", "copy", file, "--server", server, "--api-key", Key);
            Assert.Equal(0, import.ExitCode);
            Assert.Contains("imported 6 item(s) into 'copy' (mobilenet-v2-140); it has 6 item(s).", import.Stderr, StringComparison.Ordinal);
            // Read back from the service: the same vectors (unit length already, so unchanged to float precision).
            CliRunner.Result again = await _work.RunAsync("export", "copy", "-o", "-", "--server", server, "--api-key", Key);
            float[] Vector(string jsonLine) => System.Text.Json.JsonDocument.Parse(jsonLine).RootElement.GetProperty("vector").EnumerateArray().Select(v => v.GetSingle()).ToArray();
            string[] copied = again.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            for (int i = 0; i < 6; i++)
            {
                float[] a = Vector(lines[i]), b = Vector(copied[i]);
                Assert.True(a.Zip(b).All(p => Math.Abs(p.First - p.Second) < 1e-6f), $"item {i} changed on the way");
            }

            string html = _work.File("dups.html");
            CliRunner.Result dedup = await _work.RunAsync("dedup", "photos", "--server", server, "--api-key", Key, "--html", html);
            Assert.Equal(0, dedup.ExitCode);
            using (System.Text.Json.JsonDocument groups = System.Text.Json.JsonDocument.Parse(dedup.Stdout))
            {
                Assert.Equal(0.80, groups.RootElement.GetProperty("threshold").GetDouble(), 3); // the model's calibrated threshold
                System.Text.Json.JsonElement group = Assert.Single(groups.RootElement.GetProperty("groups").EnumerateArray());
                Assert.Equal(["remote/copy-of-" + Path.GetFileName(photos[0]), "remote/" + Path.GetFileName(photos[0])],
                    group.GetProperty("items").EnumerateArray().Select(e => e.GetString()).Order(StringComparer.Ordinal));
                Assert.Equal("exact", group.GetProperty("pairs")[0].GetProperty("kind").GetString());
            }
            Assert.Contains("data:image/jpeg;base64,", await File.ReadAllTextAsync(html), StringComparison.Ordinal); // thumbnails from the server

            CliRunner.Result cluster = await _work.RunAsync("cluster", "photos", "-k", "2", "--server", server, "--api-key", Key);
            Assert.Equal(0, cluster.ExitCode);
            using System.Text.Json.JsonDocument clusters = System.Text.Json.JsonDocument.Parse(cluster.Stdout);
            Assert.Equal(6, clusters.RootElement.GetProperty("clusters").EnumerateArray().Sum(c => c.GetProperty("items").GetArrayLength()));
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
        using Process service = await ServiceProcess.StartAsync(port, new Dictionary<string, string> { ["IMAGEEMBED_DATA_DIR"] = Path.Combine(_work.Root, "service-data"), ["IMAGEEMBED_API_KEYS"] = Key, ["IMAGEEMBED_MAX_BYTES"] = "250000" });
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
}
