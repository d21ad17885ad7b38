using System.Diagnostics;

namespace ImageEmbed.Tests;

internal static class TestProcesses
{
    /// <summary>
    /// Polls <c>/readyz</c> until it answers 200; fails with the process's output if it exits first or takes longer
    /// than <paramref name="limit"/>.
    /// </summary>
    public static async Task WaitReadyAsync(HttpClient http, Process server, System.Text.StringBuilder log, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < limit)
        {
            if (server.HasExited)
                lock (log) Assert.Fail($"serve exited with {server.ExitCode}:\n{log}");
            try
            {
                using HttpResponseMessage ready = await http.GetAsync("/readyz");
                if (ready.StatusCode == System.Net.HttpStatusCode.OK) return;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(200);
        }
        lock (log) Assert.Fail($"serve did not become ready:\n{log}");
    }

    /// <summary>
    /// Gives a child process exactly the given <c>IMAGEEMBED_*</c> settings: whatever the test runner's own
    /// environment holds for ImageEmbed must not leak into the process under test.
    /// </summary>
    public static void SetEnvironment(ProcessStartInfo info, IReadOnlyDictionary<string, string> settings)
    {
        foreach (string key in info.Environment.Keys.Where(k => k.StartsWith("IMAGEEMBED_", StringComparison.Ordinal)).ToArray())
            info.Environment.Remove(key);
        foreach ((string key, string value) in settings) info.Environment[key] = value;
    }
}
