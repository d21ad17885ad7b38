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
    public async Task Embed_NewImage_OneDecodeGivesTheEnginesVectorAndTheFingerprintersFingerprint()
    {
        var fingerprinter = new ImageFingerprinter(new ImagingOptions());
        var embedder = new CachedImageEmbedder(_engine, fingerprinter, _cache);
        byte[] bytes = File.ReadAllBytes(TestPaths.DevFiles()[11]);

        IndexedImage indexed = await embedder.EmbedAsync(bytes, null).DefaultTimeout();

        ImageEmbedding alone = await _engine.EmbedImageAsync(bytes, null).DefaultTimeout();
        ImageFingerprint expected = fingerprinter.Compute(bytes);
        Assert.Equal(alone.Vector, indexed.Embedding.Vector);
        Assert.Equal((expected.ContentHash, expected.PerceptualHash), (indexed.Fingerprint.ContentHash, indexed.Fingerprint.PerceptualHash));
        Assert.Equal(expected.Thumbnail, indexed.Fingerprint.Thumbnail);
        Assert.Equal(expected.Thumbnail, _cache.GetFingerprint(expected.ContentHash)!.Thumbnail);
        Assert.Equal(alone.Vector, _cache.GetEmbedding(alone.Space, expected.ContentHash)!);
    }

    [Fact]
    public async Task Embed_OnlyTheFingerprintCached_EmbedsAndKeepsTheCachedFingerprint()
    {
        var embedder = new CachedImageEmbedder(_engine, new ImageFingerprinter(new ImagingOptions()), _cache);
        byte[] bytes = File.ReadAllBytes(TestPaths.DevFiles()[12]);
        // A fingerprint no decode of these bytes gives: returned as is, so it was read, not computed.
        var marked = new ImageFingerprint(ContentHash.Of(bytes), 0x0123456789abcdef, [0xff, 0xd8, 0xff], 1, 1);
        _cache.PutFingerprint(marked);

        IndexedImage indexed = await embedder.EmbedAsync(bytes, null).DefaultTimeout();

        Assert.False(indexed.EmbeddingCached);
        Assert.Equal(marked.PerceptualHash, indexed.Fingerprint.PerceptualHash);
        Assert.Equal((await _engine.EmbedImageAsync(bytes, null).DefaultTimeout()).Vector, indexed.Embedding.Vector);
    }

    [Fact]
    public async Task Embed_OnlyTheEmbeddingCached_FingerprintsAlone()
    {
        var fingerprinter = new ImageFingerprinter(new ImagingOptions());
        var embedder = new CachedImageEmbedder(_engine, fingerprinter, _cache);
        byte[] bytes = File.ReadAllBytes(TestPaths.DevFiles()[13]);
        LoadedModel model = await _engine.LoadAsync(null).DefaultTimeout();
        float[] vector = (await _engine.EmbedImageAsync(bytes, null).DefaultTimeout()).Vector;
        _cache.PutEmbedding(model.Space, ContentHash.Of(bytes), vector);

        IndexedImage indexed = await embedder.EmbedAsync(bytes, null).DefaultTimeout();

        Assert.True(indexed.EmbeddingCached);
        Assert.Equal(vector, indexed.Embedding.Vector);
        Assert.Equal(fingerprinter.Compute(bytes).Thumbnail, indexed.Fingerprint.Thumbnail);
        Assert.NotNull(_cache.GetFingerprint(ContentHash.Of(bytes)));
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
