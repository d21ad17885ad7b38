using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using ImageEmbed.Storage.Content;
using ImageEmbed.Storage.Embedded;
using ImageEmbed.Storage.Jobs;
using ImageEmbed.Storage.Keys;
using ImageEmbed.Tests;

namespace ImageEmbed.Service.Tests;

/// <summary>
/// The service as its own process under umask 022, the common default that made the folder 0755 and the
/// databases 0644: it creates its data folder 0700 and every file in it 0600, the WAL files included.
/// </summary>
public sealed class DataFolderTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("imageembed-datafolder-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task Serve_Umask022_DataFolder0700AndFiles0600()
    {
        if (OperatingSystem.IsWindows()) return;
        string data = Path.Combine(_root, "data"); // not there yet: the service makes it
        int port = TestNetwork.FreePort();
        Process service;
        using (ProcessUmask.Set(0x12)) // 022
            service = await ServiceProcess.StartAsync(port, new Dictionary<string, string> { ["IMAGEEMBED_DATA_DIR"] = data }); // no key: one is generated into api-keys.json
        try
        {
            // The generated key is shown once on stdout; a key file entry made here works within a second.
            (string key, _) = ApiKeyFile.Create(data, "test");
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(60) };
            http.DefaultRequestHeaders.Add("x-api-key", key);
            HttpStatusCode status = default;
            for (int i = 0; i < 50 && status != HttpStatusCode.OK; i++)
            {
                if (i > 0) await Task.Delay(100);
                using HttpResponseMessage created = await http.PutAsJsonAsync("/v1/collections/private", new { model = "mobilenet-v2-140" });
                status = created.StatusCode;
            }
            Assert.Equal(HttpStatusCode.OK, status);
            using HttpResponseMessage upsert = await http.PostAsJsonAsync("/v1/collections/private/items", new { items = new[] { new { id = "a", image = TestImages.DataUri(TestPaths.DevFiles()[0]) } } });
            Assert.Equal(HttpStatusCode.OK, upsert.StatusCode);

            DataFolderModes.AssertPrivate(data, EmbeddedStore.FileName, EmbeddedStore.FileName + "-wal", ContentCache.FileName, JobStore.FileName, ApiKeyFile.FileName);
        }
        finally
        {
            service.Kill();
            await service.WaitForExitAsync().DefaultTimeout();
            service.Dispose();
        }
    }
}
