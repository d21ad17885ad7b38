using System.Diagnostics;
using System.Net;

namespace ImageEmbed.Tests;

/// <summary>The built service as a child process on loopback, for tests that kill and restart it.</summary>
internal static class ServiceProcess
{
    /// <summary>
    /// Starts <c>imageembed-service</c> on <paramref name="port"/> with exactly the given <c>IMAGEEMBED_*</c>
    /// settings (models from ../shared/models unless given) and returns once <c>/readyz</c> answers 200.
    /// </summary>
    public static async Task<Process> StartAsync(int port, IReadOnlyDictionary<string, string> settings)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { TestPaths.ServiceDll, "--urls", $"http://127.0.0.1:{port}" }) info.ArgumentList.Add(a);
        var environment = new Dictionary<string, string> { ["IMAGEEMBED_MODELS_DIR"] = TestPaths.ModelsDir };
        foreach ((string key, string value) in settings) environment[key] = value;
        TestProcesses.SetEnvironment(info, environment);

        Process process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
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
        throw new TimeoutException("The service did not become ready within 60 s.");
    }
}
