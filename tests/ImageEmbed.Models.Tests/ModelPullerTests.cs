using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using ImageEmbed.Imaging;
using ImageEmbed.Models.Catalog;
using ImageEmbed.Models.Embeddings;
using ImageEmbed.ModelTools.Import;
using ImageEmbed.Tests;

namespace ImageEmbed.Models.Tests;

/// <summary>
/// <c>models pull</c> against a local mirror (the hub cannot be reached from here): resume after a
/// broken download, checksum refusal, a clear message when offline, and an atomic install.
/// </summary>
public sealed class ModelPullerTests : IDisposable
{
    private readonly string _models = Directory.CreateTempSubdirectory("imageembed-pull-").FullName;
    private readonly byte[] _onnx = File.ReadAllBytes(TestPaths.MobileNetOnnx);

    public void Dispose() => Directory.Delete(_models, recursive: true);

    private ModelManifest Manifest(string sha256) => ModelCatalog.MobileNetV2_140 with
    {
        Name = "mirrored",
        Downloads = [new DownloadSpec { Path = "model.onnx", Url = "https://huggingface.co/test/mobilenet/resolve/0123abcd/model.onnx", Size = _onnx.Length, Sha256 = sha256 }],
    };

    /// <summary>Reports synchronously (Progress&lt;T&gt; posts to the thread pool, so its last report may arrive late).</summary>
    private sealed class SyncProgress(Action<PullProgress> report) : IProgress<PullProgress>
    {
        public void Report(PullProgress value) => report(value);
    }

    [Fact]
    public async Task Pull_CutThenResumed_InstallsAWorkingClipModel()
    {
        Dictionary<string, byte[]> files = SyntheticClip.Files();
        using var server = new MirrorServer(files, breakFirstAfter: 50_000);
        using var http = new HttpClient();
        var puller = new ModelPuller(http, _models, server.Url);
        ModelManifest manifest = SyntheticClip.Manifest(files, "clip-test");

        var broken = await Assert.ThrowsAsync<ModelDownloadException>(() => puller.PullAsync(manifest, false, null, default)).DefaultTimeout();
        Assert.Contains("Run the pull again to resume", broken.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_models, "clip-test")));

        var reports = new List<PullProgress>();
        string installed = await puller.PullAsync(manifest, false, new SyncProgress(reports.Add), default).DefaultTimeout();

        Assert.Equal("bytes=50000-", server.RangesSeen.Single());
        foreach ((string path, byte[] bytes) in files) Assert.Equal(bytes, File.ReadAllBytes(Path.Combine(installed, path)));
        Assert.False(Directory.Exists(Path.Combine(_models, ".staging", "clip-test")));
        Assert.Equal(files.Values.Sum(f => (long)f.Length), reports[^1].BytesDone);
        await using var engine = new EmbeddingEngine(new ModelsOptions { Directory = _models, DefaultModel = "clip-test" }, new ImagingOptions());
        Assert.Equal(512, (await engine.EmbedTextsAsync(["a cat"], null).DefaultTimeout()).Vectors[0].Length);
        Assert.Equal(512, (await engine.EmbedImageAsync(File.ReadAllBytes(TestPaths.DevFiles()[0]), null).DefaultTimeout()).Dimensions);
    }

    [Fact]
    public async Task Pull_ChecksumMismatch_RefusesAndInstallsNothing()
    {
        using var server = new MirrorServer(_onnx);
        using var http = new HttpClient();
        var puller = new ModelPuller(http, _models, server.Url);

        var e = await Assert.ThrowsAsync<ModelDownloadException>(() => puller.PullAsync(Manifest(new string('a', 64)), false, null, default)).DefaultTimeout();

        Assert.Contains("the catalog says aaaa", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_models, "mirrored")));
        Assert.False(File.Exists(Path.Combine(_models, ".staging", "mirrored", "model.onnx")));
    }

    [Fact]
    public async Task Pull_Unreachable_SaysHowToInstallByHand()
    {
        using var http = new HttpClient();
        var puller = new ModelPuller(http, _models, $"http://127.0.0.1:{TestNetwork.FreePort()}");

        var e = await Assert.ThrowsAsync<ModelDownloadException>(() => puller.PullAsync(Manifest(new string('a', 64)), false, null, default)).DefaultTimeout();

        Assert.Contains("install it by hand", e.Message, StringComparison.Ordinal);
        Assert.Contains("IMAGEEMBED_MODEL_MIRROR", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PullMobileNet_FromALoopbackNpmRegistry_InstallsTheConvertedModel()
    {
        using var server = new MirrorServer(new Dictionary<string, byte[]> { ["/nsfwjs/-/nsfwjs-4.3.0.tgz"] = File.ReadAllBytes(NsfwjsFixture.Tarball) });
        using var http = new HttpClient();

        InstalledModel model = await NsfwjsPackage.PullMobileNetAsync(http, _models, server.Url, force: false, default).DefaultTimeout();

        Assert.Equal("mobilenet-v2-140", model.Name);
        Assert.Equal(1792, model.Manifest.Dimensions);
        Assert.False(Directory.Exists(Path.Combine(_models, ".staging", "mobilenet-v2-140")));
        await using var pulled = new EmbeddingEngine(new ModelsOptions { Directory = _models }, new ImagingOptions());
        await using var shared = new EmbeddingEngine(new ModelsOptions { Directory = TestPaths.ModelsDir }, new ImagingOptions());
        byte[] photo = File.ReadAllBytes(TestPaths.DevFiles()[0]);
        float[] a = (await pulled.EmbedImageAsync(photo, null).DefaultTimeout()).Vector, b = (await shared.EmbedImageAsync(photo, null).DefaultTimeout()).Vector;
        Assert.True(VectorMath.Cosine(a, b) >= 0.9999, $"cosine {VectorMath.Cosine(a, b)} to the shared conversion");
    }

    [Fact]
    public async Task PullMobileNet_TarballNotAsPublished_RefusedNamingTheIntegrity()
    {
        byte[] tampered = File.ReadAllBytes(NsfwjsFixture.Tarball);
        tampered[tampered.Length / 2] ^= 0x55;
        using var server = new MirrorServer(new Dictionary<string, byte[]> { ["/nsfwjs/-/nsfwjs-4.3.0.tgz"] = tampered });
        using var http = new HttpClient();

        var e = await Assert.ThrowsAsync<ModelDownloadException>(() => NsfwjsPackage.PullMobileNetAsync(http, _models, server.Url, force: false, default)).DefaultTimeout();

        Assert.Contains("is not nsfwjs@4.3.0 as published", e.Message, StringComparison.Ordinal);
        Assert.Contains(NsfwjsPackage.Integrity, e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_models, "mobilenet-v2-140")));
    }

    /// <summary>A file server on loopback standing in for the model hub; honours Range, and can break off once.</summary>
    private sealed class MirrorServer : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly Dictionary<string, byte[]> _files;
        private int _breakAfter;

        /// <summary>Serves <paramref name="file"/> at every path.</summary>
        public MirrorServer(byte[] file, int breakFirstAfter = 0)
            : this(new Dictionary<string, byte[]> { [""] = file }, breakFirstAfter)
        {
        }

        /// <summary>Serves each file at a URL path ending in its key.</summary>
        public MirrorServer(Dictionary<string, byte[]> files, int breakFirstAfter = 0)
        {
            _files = files;
            _breakAfter = breakFirstAfter;
            Url = $"http://127.0.0.1:{TestNetwork.FreePort()}";
            _listener.Prefixes.Add(Url + "/");
            _listener.Start();
            _ = ServeAsync();
        }

        public string Url { get; }
        public List<string> RangesSeen { get; } = [];


        private async Task ServeAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try { context = await _listener.GetContextAsync(); }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException) { return; }
                string path = context.Request.Url!.AbsolutePath;
                byte[] file = _files.First(f => path.EndsWith(f.Key, StringComparison.Ordinal)).Value;
                string? range = context.Request.Headers["Range"];
                int from = 0;
                if (range is not null)
                {
                    lock (RangesSeen) RangesSeen.Add(range);
                    from = int.Parse(range["bytes=".Length..range.IndexOf('-')], System.Globalization.CultureInfo.InvariantCulture);
                    context.Response.StatusCode = 206;
                    context.Response.AddHeader("Content-Range", $"bytes {from}-{file.Length - 1}/{file.Length}");
                }
                context.Response.ContentLength64 = file.Length - from;
                try
                {
                    int breakAfter = Interlocked.Exchange(ref _breakAfter, 0);
                    if (breakAfter > 0)
                    {
                        await context.Response.OutputStream.WriteAsync(file.AsMemory(from, breakAfter));
                        await context.Response.OutputStream.FlushAsync();
                        context.Response.Abort(); // the connection drops mid-file
                        continue;
                    }
                    await context.Response.OutputStream.WriteAsync(file.AsMemory(from));
                    context.Response.Close();
                }
                catch (HttpListenerException)
                {
                }
            }
        }

        public void Dispose() => _listener.Close();
    }
}
