using ImageEmbed.Imaging;
using ImageEmbed.Imaging.Decode;
using ImageEmbed.Imaging.Fingerprint;
using ImageEmbed.Models;
using ImageEmbed.Application.Ingest;
using ImageEmbed.Storage;
using ImageEmbed.Storage.Content;
using ImageEmbed.Storage.Embedded;
using ImageEmbed.Tests;

namespace ImageEmbed.Application.Tests;

public sealed class ImageIngestTests : IAsyncLifetime
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
        var ingest = new ImageIngest(_engine, _cache, new ImagingOptions());
        LoadedModel model = await _engine.LoadAsync(null).DefaultTimeout();
        byte[] bytes = File.ReadAllBytes(TestPaths.DevFiles()[7]);

        IngestedImage first = await ingest.IngestAsync(model, ImageContent.Of(bytes), default).DefaultTimeout();
        IngestedImage second = await ingest.IngestAsync(model, ImageContent.Of(bytes.ToArray()), default).DefaultTimeout();

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
        var ingest = new ImageIngest(_engine, _cache, new ImagingOptions());
        LoadedModel model = await _engine.LoadAsync(null).DefaultTimeout();
        // 500x333: decoded in full for the model and for the thumbnail alike, so the joint decode's thumbnail is the
        // fingerprinter's exactly (a large JPEG may shrink-on-load by different factors for the two; DecodeWithFingerprintTests).
        byte[] bytes = File.ReadAllBytes(TestPaths.DevFiles()[16]);

        IngestedImage indexed = await ingest.IngestAsync(model, ImageContent.Of(bytes), default).DefaultTimeout();

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
        var ingest = new ImageIngest(_engine, _cache, new ImagingOptions());
        LoadedModel model = await _engine.LoadAsync(null).DefaultTimeout();
        byte[] bytes = File.ReadAllBytes(TestPaths.DevFiles()[12]);
        // A fingerprint no decode of these bytes gives: returned as is, so it was read, not computed.
        var marked = new ImageFingerprint(ContentHash.Of(bytes), 0x0123456789abcdef, [0xff, 0xd8, 0xff], 1, 1);
        _cache.PutFingerprint(marked);

        IngestedImage indexed = await ingest.IngestAsync(model, ImageContent.Of(bytes), default).DefaultTimeout();

        Assert.False(indexed.EmbeddingCached);
        Assert.Equal(marked.PerceptualHash, indexed.Fingerprint.PerceptualHash);
        Assert.Equal((await _engine.EmbedImageAsync(bytes, null).DefaultTimeout()).Vector, indexed.Embedding.Vector);
    }

    [Fact]
    public async Task Embed_OnlyTheEmbeddingCached_FingerprintsAlone()
    {
        var fingerprinter = new ImageFingerprinter(new ImagingOptions());
        var ingest = new ImageIngest(_engine, _cache, new ImagingOptions());
        LoadedModel model = await _engine.LoadAsync(null).DefaultTimeout();
        byte[] bytes = File.ReadAllBytes(TestPaths.DevFiles()[13]);
        float[] vector = (await _engine.EmbedImageAsync(bytes, null).DefaultTimeout()).Vector;
        _cache.PutEmbedding(model.Space, ContentHash.Of(bytes), vector);

        IngestedImage indexed = await ingest.IngestAsync(model, ImageContent.Of(bytes), default).DefaultTimeout();

        Assert.True(indexed.EmbeddingCached);
        Assert.Equal(vector, indexed.Embedding.Vector);
        Assert.Equal(fingerprinter.Compute(bytes).Thumbnail, indexed.Fingerprint.Thumbnail);
        Assert.NotNull(_cache.GetFingerprint(ContentHash.Of(bytes)));
    }

    [Fact]
    public async Task Embed_BadImage_ThrowsAndCachesNothing()
    {
        var ingest = new ImageIngest(_engine, _cache, new ImagingOptions());
        LoadedModel model = await _engine.LoadAsync(null).DefaultTimeout();
        byte[] truncated = File.ReadAllBytes(TestPaths.Format("truncated.jpg"));

        await Assert.ThrowsAnyAsync<ImageDecodeException>(() => ingest.IngestAsync(model, ImageContent.Of(truncated), default)).DefaultTimeout();

        Assert.Null(_cache.GetEmbedding(model.Space, ContentHash.Of(truncated)));
        Assert.Null(_cache.GetFingerprint(ContentHash.Of(truncated)));
    }

    [Fact]
    public async Task Ingest_UsesTheCallersHash_SoTheBytesAreHashedOnce()
    {
        var ingest = new ImageIngest(_engine, _cache, new ImagingOptions());
        LoadedModel model = await _engine.LoadAsync(null).DefaultTimeout();
        byte[] bytes = File.ReadAllBytes(TestPaths.DevFiles()[14]);
        // A hash no SHA-256 of these bytes gives: it comes back, so nothing below hashed them again.
        string given = new('7', 64);

        IngestedImage ingested = await ingest.IngestAsync(model, new ImageContent(bytes, given), default).DefaultTimeout();

        Assert.Equal(given, ingested.Fingerprint.ContentHash);
        Assert.NotNull(_cache.GetEmbedding(model.Space, given));
        Assert.Null(_cache.GetEmbedding(model.Space, ContentHash.Of(bytes)));
    }

    [Fact]
    public async Task Item_CarriesTheModelsSpace_AndAStoreOfAnotherSpaceRefusesIt()
    {
        var ingest = new ImageIngest(_engine, _cache, new ImagingOptions());
        LoadedModel model = await _engine.LoadAsync(null).DefaultTimeout();
        byte[] bytes = File.ReadAllBytes(TestPaths.DevFiles()[15]);

        CollectionItem item = await ingest.ItemAsync(model, "a.jpg", ImageContent.Of(bytes), null, "photos/a.jpg", default).DefaultTimeout();

        Assert.Equal(model.Space, item.Space);
        Assert.Equal((ContentHash.Of(bytes), "photos/a.jpg"), (item.ContentHash, item.Source));
        await using EmbeddedStore store = await EmbeddedStore.OpenAsync(_dir);
        await store.CreateCollectionAsync("same", model.Name, model.Dimensions, model.Space);
        await store.CreateCollectionAsync("other", model.Name, model.Dimensions, "es1-0000000000000000");
        await store.UpsertAsync("same", [item]);
        var refused = await Assert.ThrowsAsync<CollectionConflictException>(() => store.UpsertAsync("other", [item]));
        Assert.Equal($"item 'a.jpg' is in embedding space {model.Space}; collection 'other' holds es1-0000000000000000 (model '{model.Name}'). Vectors from different spaces cannot be compared.", refused.Message);
        Assert.Equal(0, (await store.GetCollectionAsync("other"))!.Count);
        Assert.Equal(1, (await store.GetCollectionAsync("same"))!.Count);
    }
}
