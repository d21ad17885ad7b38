using ImageEmbed.Imaging.Fingerprint;
using ImageEmbed.Storage.Content;

namespace ImageEmbed.Storage.Tests;

public sealed class ContentCacheTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("imageembed-cache-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Embeddings_RoundTripBitExactPerSpaceAndSurviveReopen()
    {
        string hash = ContentHash.Of([1, 2, 3]);
        float[] vector = [0.1f, -0.2f, float.Epsilon, 1f / 3f];
        using (ContentCache cache = ContentCache.Open(_dir))
        {
            Assert.Null(cache.GetEmbedding("es1-a", hash));
            cache.PutEmbedding("es1-a", hash, vector);
            cache.PutEmbedding("es1-a", hash, [9f, 9f, 9f, 9f]); // same key: the first value stays
            cache.PutEmbedding("es1-b", hash, [5f]);
        }

        using ContentCache reopened = ContentCache.Open(_dir);
        Assert.Equal(vector, reopened.GetEmbedding("es1-a", hash));
        Assert.Equal([5f], reopened.GetEmbedding("es1-b", hash)!);
        Assert.Null(reopened.GetEmbedding("es1-c", hash));
    }

    [Fact]
    public void Fingerprints_RoundTripAllBitsOfThePerceptualHash()
    {
        string hash = ContentHash.Of([4, 5, 6]);
        var fingerprint = new ImageFingerprint(hash, 0x8000_0000_0000_0001UL, [0xFF, 0xD8, 0xFF, 0xD9], 256, 171);
        using ContentCache cache = ContentCache.Open(_dir);

        cache.PutFingerprint(fingerprint);
        ImageFingerprint? back = cache.GetFingerprint(hash);

        Assert.NotNull(back);
        Assert.Equal((fingerprint.PerceptualHash, 256, 171), (back.PerceptualHash, back.ThumbnailWidth, back.ThumbnailHeight));
        Assert.Equal(fingerprint.Thumbnail, back.Thumbnail);
        Assert.Equal(fingerprint.Thumbnail, cache.GetThumbnail(hash));
        Assert.Null(cache.GetThumbnail(ContentHash.Of([7])));
    }
}
