using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ImageEmbed.Tests;
using Xunit.Abstractions;

namespace ImageEmbed.Service.Tests;

/// <summary>
/// A job survives its service: the service runs as its own process, is killed (SIGKILL) half-way through
/// a job, restarts on the same data folder, and finishes the job: every URL stored once, none lost.
/// </summary>
public sealed class JobDurabilityTests(ITestOutputHelper output) : IDisposable
{
    private const string Key = "jobs-durability-key";
    private readonly string _data = Directory.CreateTempSubdirectory("imageembed-jobs-").FullName;

    public void Dispose() => Directory.Delete(_data, recursive: true);

    [Fact]
    public async Task Sigkill_MidJob_RestartFinishesEveryItemOnce()
    {
        await using TestImageServer images = await TestImageServer.StartAsync();
        int port = TestNetwork.FreePort();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Add("x-api-key", Key);
        string[] urls = TestPaths.DevFiles().SelectMany(f => new[] { 1, 2 }.Select(copy => images.Dev(Path.GetFileName(f)) + $"?copy={copy}")).ToArray();

        Process service = await StartAsync(port, http);
        string id;
        try
        {
            (await http.PutAsJsonAsync("/v1/collections/bulk", new { model = "mobilenet-v2-140" })).EnsureSuccessStatusCode();
            using HttpResponseMessage created = await http.PostAsJsonAsync("/v1/jobs", new { collection = "bulk", urls });
            Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
            id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;

            JsonElement job;
            do
            {
                await Task.Delay(20);
                job = await http.GetFromJsonAsync<JsonElement>($"/v1/jobs/{id}");
            }
            while (job.GetProperty("succeeded").GetInt32() < 16);
            Assert.True(job.GetProperty("pending").GetInt32() > 0, "the job finished before it could be interrupted");
            output.WriteLine($"killing the service with {job.GetProperty("succeeded").GetInt32()} of {urls.Length} items done");
        }
        finally
        {
            service.Kill(); // SIGKILL: no shutdown hooks
            await service.WaitForExitAsync().DefaultTimeout();
        }

        service = await StartAsync(port, http);
        try
        {
            JsonElement job;
            var clock = Stopwatch.StartNew();
            do
            {
                await Task.Delay(100);
                job = await http.GetFromJsonAsync<JsonElement>($"/v1/jobs/{id}");
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(120), "the job did not finish after the restart");
            }
            while (job.GetProperty("state").GetString() != "completed");
            Assert.Equal(urls.Length, job.GetProperty("succeeded").GetInt32());
            Assert.Equal(0, job.GetProperty("failed").GetInt32());
            JsonElement info = await http.GetFromJsonAsync<JsonElement>("/v1/collections/bulk");
            Assert.Equal(urls.Length, info.GetProperty("count").GetInt64());
            foreach (string url in urls.Take(3).Concat(urls.TakeLast(3)))
                Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"/v1/collections/bulk/items/{Uri.EscapeDataString(url)}")).StatusCode);
        }
        finally
        {
            service.Kill();
            await service.WaitForExitAsync();
        }
    }

    private async Task<Process> StartAsync(int port, HttpClient http)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { TestPaths.ServiceDll, "--urls", $"http://127.0.0.1:{port}" }) info.ArgumentList.Add(a);
        TestProcesses.SetEnvironment(info, new Dictionary<string, string>
        {
            ["IMAGEEMBED_MODELS_DIR"] = TestPaths.ModelsDir,
            ["IMAGEEMBED_DATA_DIR"] = _data,
            ["IMAGEEMBED_API_KEYS"] = Key,
            ["IMAGEEMBED_ALLOW_PRIVATE_URLS"] = "true",
        });
        Process process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            Assert.False(process.HasExited, $"the service exited with {(process.HasExited ? process.ExitCode : 0)}");
            try
            {
                using HttpResponseMessage ready = await http.GetAsync("/readyz");
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
