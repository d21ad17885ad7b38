using ImageEmbed.Imaging;
using ImageEmbed.Imaging.Decode;
using ImageEmbed.Imaging.Fingerprint;
using ImageEmbed.Models;
using ImageEmbed.Storage.Content;
using ImageEmbed.Tests;

namespace ImageEmbed.Storage.Tests;

public sealed class CachedImageEmbedderTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("imageembed-cached-").FullName;
    private EmbeddingEngine _engine = null!;
    private ContentCache _cache = null!;

    public Task InitializeAsync()
    {
        _engine = new EmbeddingEngine(new ModelsOptions { Directory = TestPaths.ModelsDir }, new ImagingOptions());
        _cache = ContentCache.Open(_dir);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _engine.DisposeAsync();
        _cache.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Embed_SameBytesTwice_SecondIsFromTheCacheBitForBit()
    {
        var embedder = new CachedImageEmbedder(_engine, new ImageFingerprinter(new ImagingOptions()), _cache);
        byte[] bytes = File.ReadAllBytes(TestPaths.DevFiles()[7]);

        IndexedImage first = await embedder.EmbedAsync(bytes, null).DefaultTimeout();
        IndexedImage second = await embedder.EmbedAsync(bytes.ToArray(), null).DefaultTimeout();

        Assert.False(first.EmbeddingCached);
        Assert.True(second.EmbeddingCached);
        Assert.Equal(first.Embedding.Vector, second.Embedding.Vector);
        Assert.Equal((first.Embedding.Model, first.Embedding.Space), (second.Embedding.Model, second.Embedding.Space));
        Assert.Equal((first.Fingerprint.ContentHash, first.Fingerprint.PerceptualHash), (second.Fingerprint.ContentHash, second.Fingerprint.PerceptualHash));
        Assert.Equal(first.Fingerprint.Thumbnail, second.Fingerprint.Thumbnail);
        Assert.Equal(first.Embedding.Vector, _cache.GetEmbedding(first.Embedding.Space, ContentHash.Of(bytes))!);
    }

    [Fact]
    public async Task Embed_BadImage_ThrowsAndCachesNothing()
    {
        var embedder = new CachedImageEmbedder(_engine, new ImageFingerprinter(new ImagingOptions()), _cache);
        byte[] truncated = File.ReadAllBytes(TestPaths.Format("truncated.jpg"));
        LoadedModel model = await _engine.LoadAsync(null).DefaultTimeout();

        await Assert.ThrowsAnyAsync<ImageDecodeException>(() => embedder.EmbedAsync(truncated, null)).DefaultTimeout();

        Assert.Null(_cache.GetEmbedding(model.Space, ContentHash.Of(truncated)));
        Assert.Null(_cache.GetFingerprint(ContentHash.Of(truncated)));
    }
}
