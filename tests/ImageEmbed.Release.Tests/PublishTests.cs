using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ImageEmbed.Cli.Tests;
using ImageEmbed.Tests;

namespace ImageEmbed.Release.Tests;

public sealed class PublishTests(PublishedReleases releases) : IClassFixture<PublishedReleases>
{
    // Each platform's executable and native libraries, with the machine its binary format must name.
    public static TheoryData<string, string[], string> Natives => new()
    {
        { "linux-x64", ["imageembed", "libonnxruntime.so", "libvips.so.42", "libe_sqlite3.so"], "elf-x86-64" },
        { "linux-arm64", ["imageembed", "libonnxruntime.so", "libvips.so.42", "libe_sqlite3.so"], "elf-aarch64" },
        { "osx-arm64", ["imageembed", "libonnxruntime.dylib", "libvips.42.dylib", "libe_sqlite3.dylib"], "macho-arm64" },
        { "win-x64", ["imageembed.exe", "onnxruntime.dll", "libvips-42.dll", "e_sqlite3.dll"], "pe-x64" },
    };

    [Theory]
    [MemberData(nameof(Natives))]
    public void Publish_EachPlatform_CarriesItsOwnNativesAndTheOfflineModel(string platform, string[] binaries, string machine)
    {
        Assert.True(releases.ExitCode == 0, $"scripts/publish.sh failed ({releases.ExitCode}):\n{releases.Log}");
        string folder = releases.Folder(platform);
        foreach (string binary in binaries)
        {
            string path = Path.Combine(folder, binary);
            Assert.True(File.Exists(path), $"{platform}: {binary} is missing");
            Assert.Equal(machine, Machine(path));
        }
        // Self-contained: the runtime itself is in the folder, and the settings file and the offline model with it.
        Assert.True(File.Exists(Path.Combine(folder, platform.StartsWith("win", StringComparison.Ordinal) ? "coreclr.dll" : platform.StartsWith("osx", StringComparison.Ordinal) ? "libcoreclr.dylib" : "libcoreclr.so")));
        Assert.True(File.Exists(Path.Combine(folder, "appsettings.json")));
        Assert.True(new FileInfo(Path.Combine(folder, "native", "resnet18", "ResNet18.onnx")).Length > 40_000_000);
        // Nothing of another platform rides along (a runtimes/ tree would mean a RID-less build was copied).
        Assert.False(Directory.Exists(Path.Combine(folder, "runtimes")), $"{platform}: runtimes/ holds other platforms' natives");
    }

    [Fact]
    public async Task PublishedLinuxX64_ServeInAnEmptyEnvironment_AnswersTheCoreVizSeedRequest_AndStopsCleanlyOnSigterm()
    {
        Assert.True(releases.ExitCode == 0, releases.Log);
        string home = Directory.CreateTempSubdirectory("imageembed-home-").FullName;
        await using LoopbackImageServer images = await LoopbackImageServer.StartAsync();
        int port = TestNetwork.FreePort();
        using Process server = Start(home, ["serve", "--urls", $"http://127.0.0.1:{port}"],
            "IMAGEEMBED_API_KEYS=release-key", "IMAGEEMBED_AUTO_PULL=false", "IMAGEEMBED_ALLOW_PRIVATE_URLS=true");
        var log = new System.Text.StringBuilder();
        server.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        server.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(60) };
            await TestProcesses.WaitReadyAsync(http, server, log, TimeSpan.FromMinutes(2));

            // The seed's request: JSON with an image URL and the x-api-key header.
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/ai/embeddings")
            {
                Content = JsonContent.Create(new { image = images.Url(TestPaths.DevFiles()[0]) }),
            };
            request.Headers.Add("x-api-key", "release-key");
            using HttpResponseMessage response = await http.SendAsync(request);
            string body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, body);
            using JsonDocument json = JsonDocument.Parse(body);
            float[] vector = json.RootElement.GetProperty("embedding").EnumerateArray().Select(e => e.GetSingle()).ToArray();
            Assert.Equal(512, json.RootElement.GetProperty("dimensions").GetInt32());
            Assert.Equal(512, vector.Length);
            Assert.Equal("resnet18-imagenet", json.RootElement.GetProperty("model").GetString());
            Assert.Equal(1.0, Math.Sqrt(vector.Sum(v => (double)v * v)), 5);

            // SIGTERM (what docker stop and systemd send) while a 64-image request runs: it is answered in full, then
            // the process exits 0.
            string[] inputs = TestPaths.DevFiles().Take(64).Select(TestImages.DataUri).ToArray();
            using var batch = new HttpRequestMessage(HttpMethod.Post, "/v1/embeddings") { Content = JsonContent.Create(new { model = "default", input = inputs }) };
            batch.Headers.Add("Authorization", "Bearer release-key");
            Task<HttpResponseMessage> inFlight = http.SendAsync(batch);
            await Task.Delay(500);
            Assert.False(inFlight.IsCompleted, "the request finished before SIGTERM: make it longer");
            using (Process kill = Process.Start("kill", ["-TERM", server.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) kill.WaitForExit();
            using HttpResponseMessage drained = await inFlight;
            Assert.Equal(HttpStatusCode.OK, drained.StatusCode);
            using (JsonDocument all = JsonDocument.Parse(await drained.Content.ReadAsStringAsync()))
                Assert.Equal(64, all.RootElement.GetProperty("data").GetArrayLength());
            Assert.True(server.WaitForExit(TimeSpan.FromSeconds(30)), "the service did not stop within 30 s of SIGTERM");
            server.WaitForExit(); // and its output read to the end
            lock (log) Assert.True(server.ExitCode == 0, $"exit {server.ExitCode} after SIGTERM:\n{log}");
            lock (log) Assert.Contains("Application is shutting down...", log.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            if (!server.HasExited) server.Kill(entireProcessTree: true);
            Directory.Delete(home, recursive: true);
        }
    }

    [Fact]
    public void PublishedLinuxX64_NativeLibraries_NeedOnlyGlibcAndLibstdcxx()
    {
        // What the container's runtime-deps base (and any glibc Linux) provides; nothing from an SDK, npm or apt.
        Assert.True(releases.ExitCode == 0, releases.Log);
        string[] provided = ["linux-vdso.so.1", "libc.so.6", "libm.so.6", "libdl.so.2", "librt.so.1", "libpthread.so.0", "libresolv.so.2", "libstdc++.so.6", "libgcc_s.so.1", "/lib64/ld-linux-x86-64.so.2"];
        string folder = releases.Folder("linux-x64");
        foreach (string binary in new[] { "imageembed", "libonnxruntime.so", "libvips.so.42", "libe_sqlite3.so", "libcoreclr.so" })
        {
            var info = new ProcessStartInfo("ldd", [Path.Combine(folder, binary)]) { RedirectStandardOutput = true };
            using Process ldd = Process.Start(info)!;
            string[] needed = ldd.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(l => l.Split(' ')[0]).ToArray();
            ldd.WaitForExit();
            Assert.NotEmpty(needed);
            Assert.All(needed, library => Assert.True(provided.Contains(library), $"{binary} needs {library}"));
        }
    }

    [Fact]
    public async Task PublishedLinuxX64_CudaOnThisMachine_ExitsNonZeroAtStartNamingCuda()
    {
        Assert.True(releases.ExitCode == 0, releases.Log);
        string home = Directory.CreateTempSubdirectory("imageembed-home-").FullName;
        try
        {
            using Process server = Start(home, ["serve", "--urls", $"http://127.0.0.1:{TestNetwork.FreePort()}"], "IMAGEEMBED_EXECUTION_PROVIDER=cuda");
            Task<string> stdout = server.StandardOutput.ReadToEndAsync();
            string stderr = await server.StandardError.ReadToEndAsync().DefaultTimeout();
            await server.WaitForExitAsync().DefaultTimeout();
            Assert.Equal(2, server.ExitCode);
            Assert.StartsWith("error: IMAGEEMBED_EXECUTION_PROVIDER=cuda, but this build's ONNX Runtime has no CUDA provider", stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("Now listening", await stdout, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }

    /// <summary>The published executable under <c>env -i</c>: no DOTNET_ROOT, no SDK on PATH, only the settings given.</summary>
    private Process Start(string home, string[] args, params string[] settings)
    {
        var info = new ProcessStartInfo("/usr/bin/env") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = home };
        foreach (string a in new[] { "-i", $"HOME={home}", "PATH=/usr/bin:/bin", $"IMAGEEMBED_DATA_DIR={Path.Combine(home, "data")}" }) info.ArgumentList.Add(a);
        foreach (string s in settings) info.ArgumentList.Add(s);
        info.ArgumentList.Add(Path.Combine(releases.Folder("linux-x64"), "imageembed"));
        foreach (string a in args) info.ArgumentList.Add(a);
        return Process.Start(info)!;
    }

    /// <summary>The binary format and machine a file's header names (ELF e_machine, Mach-O cputype, PE Machine).</summary>
    private static string Machine(string path)
    {
        byte[] h = new byte[512];
        using (FileStream f = File.OpenRead(path)) f.ReadExactly(h, 0, Math.Min(h.Length, (int)f.Length));
        if (h[0] == 0x7F && h[1] == (byte)'E' && h[2] == (byte)'L' && h[3] == (byte)'F')
            return BinaryPrimitives.ReadUInt16LittleEndian(h.AsSpan(18)) switch { 0x3E => "elf-x86-64", 0xB7 => "elf-aarch64", var m => $"elf-{m:x}" };
        if (BinaryPrimitives.ReadUInt32LittleEndian(h) == 0xFEEDFACF)
            return BinaryPrimitives.ReadUInt32LittleEndian(h.AsSpan(4)) switch { 0x0100000C => "macho-arm64", 0x01000007 => "macho-x64", var c => $"macho-{c:x}" };
        if (h[0] == (byte)'M' && h[1] == (byte)'Z')
        {
            int pe = BinaryPrimitives.ReadInt32LittleEndian(h.AsSpan(0x3C));
            return BinaryPrimitives.ReadUInt16LittleEndian(h.AsSpan(pe + 4)) switch { 0x8664 => "pe-x64", 0xAA64 => "pe-arm64", var m => $"pe-{m:x}" };
        }
        return "unknown";
    }
}
