using ImageEmbed.Imaging;
using ImageEmbed.Imaging.Fingerprint;
using ImageEmbed.Imaging.Preprocess;
using ImageEmbed.Models;
using ImageEmbed.Tests;

namespace ImageEmbed.Models.Tests;

/// <summary>
/// <see cref="EmbeddingEngine.EmbedPreprocessedAsync"/>, the entry the content cache uses to embed and fingerprint
/// a new image from one decode: same vectors as <see cref="EmbeddingEngine.EmbedImageAsync"/>, and the caller's
/// decode stays within <see cref="ImagingOptions.DecodeConcurrency"/>.
/// </summary>
public sealed class EmbedPreprocessedTests
{
    [Fact]
    public async Task EmbedPreprocessedAsync_DecodeWithFingerprint_GivesEmbedImagesVectorBitForBit()
    {
        await using EmbeddingEngine engine = EngineFactory.Create(maxBatchSize: 1);
        foreach (string file in TestPaths.DevFiles().Take(8))
        {
            byte[] bytes = File.ReadAllBytes(file);
            ImageFingerprint? fingerprint = null;

            ImageEmbedding joint = await engine.EmbedPreprocessedAsync(await engine.LoadAsync(null), recipe => engine.Preprocessor.PreprocessWithFingerprint(bytes, recipe, out fingerprint)).DefaultTimeout();
            ImageEmbedding alone = await engine.EmbedImageAsync(bytes, null).DefaultTimeout();

            Assert.Equal(alone.Vector, joint.Vector);
            Assert.Equal(ContentHash.Of(bytes), fingerprint?.ContentHash);
        }
    }

    [Fact]
    public async Task EmbedPreprocessedAsync_ManyCallers_PreprocessWithinDecodeConcurrency()
    {
        await using var engine = new EmbeddingEngine(new ModelsOptions { Directory = TestPaths.ModelsDir }, new ImagingOptions { DecodeConcurrency = 1 });
        await engine.LoadAsync(null).DefaultTimeout();
        byte[] bytes = File.ReadAllBytes(TestPaths.DevFiles()[0]);
        int running = 0, most = 0;
        PreprocessedImage Preprocess(ImagePreprocessing recipe)
        {
            int now = Interlocked.Increment(ref running);
            InterlockedMax(ref most, now);
            try
            {
                Thread.Sleep(20); // long enough for the other callers to arrive while this one holds the slot
                return engine.Preprocessor.PreprocessWithFingerprint(bytes, recipe, out _);
            }
            finally
            {
                Interlocked.Decrement(ref running);
            }
        }

        await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(async () => await engine.EmbedPreprocessedAsync(await engine.LoadAsync(null), Preprocess)))).DefaultTimeout();

        Assert.Equal(1, most);
    }

    [Fact]
    public async Task DecodersBusyLongerThan_CountsDecodersStuckOnOneImage_AndFreesThemWhenDone()
    {
        await using var engine = new EmbeddingEngine(new ModelsOptions { Directory = TestPaths.ModelsDir }, new ImagingOptions { DecodeConcurrency = 2 });
        LoadedModel model = await engine.LoadAsync(null).DefaultTimeout();
        byte[] bytes = File.ReadAllBytes(TestPaths.DevFiles()[0]);
        using var release = new ManualResetEventSlim();
        int started = 0;
        PreprocessedImage Costly(ImagePreprocessing recipe)
        {
            Interlocked.Increment(ref started);
            release.Wait(TimeSpan.FromSeconds(30)); // a decode that takes as long as the test says
            return engine.Preprocessor.Preprocess(bytes, recipe);
        }

        Task<ImageEmbedding> first = Task.Run(() => engine.EmbedPreprocessedAsync(model, Costly));
        Task<ImageEmbedding> second = Task.Run(() => engine.EmbedPreprocessedAsync(model, Costly));
        while (Volatile.Read(ref started) < 2) await Task.Delay(10);
        await Task.Delay(300);

        Assert.Equal(2, engine.DecodersBusyLongerThan(TimeSpan.FromMilliseconds(200)));
        Assert.Equal(0, engine.DecodersBusyLongerThan(TimeSpan.FromSeconds(20)));
        release.Set();
        await Task.WhenAll(first, second).DefaultTimeout();
        Assert.Equal(0, engine.DecodersBusyLongerThan(TimeSpan.Zero));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while (value > (seen = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, seen) != seen) { }
    }
}
