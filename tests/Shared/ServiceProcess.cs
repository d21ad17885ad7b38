using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ImageEmbed.Tests;

/// <summary>The built service as a child process, for tests that kill and restart it or run it in a network sandbox.</summary>
internal static class ServiceProcess
{
    /// <summary>
    /// Starts <c>imageembed serve</c> on <paramref name="port"/> with exactly the given <c>IMAGEEMBED_*</c>
    /// settings (models from ../shared/models unless given) and returns once <c>/readyz</c> answers 200.
    /// </summary>
    public static async Task<Process> StartAsync(int port, IReadOnlyDictionary<string, string> settings)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        return await StartAsync($"http://127.0.0.1:{port}", settings, http, sandbox: null);
    }

    /// <summary>
    /// Starts the service inside <paramref name="sandbox"/>, listening on the Unix socket <paramref name="socket"/>
    /// (a file, so the test reaches it from outside the namespace), and returns it with a client for that socket.
    /// </summary>
    public static async Task<(Process Process, HttpClient Client)> StartInSandboxAsync(NetworkSandbox sandbox, string socket, IReadOnlyDictionary<string, string> settings)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await s.ConnectAsync(new UnixDomainSocketEndPoint(socket), ct);
                    return new NetworkStream(s, ownsSocket: true);
                }
                catch
                {
                    s.Dispose();
                    throw;
                }
            },
        };
        var client = new HttpClient(handler) { BaseAddress = new Uri("http://sandboxed-service"), Timeout = TimeSpan.FromSeconds(60) };
        try
        {
            return (await StartAsync($"http://unix:{socket}", settings, client, sandbox), client);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    private static async Task<Process> StartAsync(string urls, IReadOnlyDictionary<string, string> settings, HttpClient http, NetworkSandbox? sandbox)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { TestPaths.CliDll, "serve", "--urls", urls }) info.ArgumentList.Add(a);
        var environment = new Dictionary<string, string> { ["IMAGEEMBED_MODELS_DIR"] = TestPaths.ModelsDir };
        foreach ((string key, string value) in settings) environment[key] = value;
        TestProcesses.SetEnvironment(info, environment);

        Process process = Process.Start(sandbox is null ? info : sandbox.Enter(info))!;
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
        process.Kill(entireProcessTree: true);
        throw new TimeoutException("The service did not become ready within 60 s.");
    }
}
