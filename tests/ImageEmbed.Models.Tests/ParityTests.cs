using ImageEmbed.Imaging;
using ImageEmbed.Imaging.Decode;
using ImageEmbed.Models.Embeddings;
using ImageEmbed.Tests;
using Xunit.Abstractions;

namespace ImageEmbed.Models.Tests;

/// <summary>
/// The engine against embeddings from an independent pipeline (sharp + onnxruntime-node) over the
/// same model file: the whole recipe (decode, orientation, colour, alpha, resize kernel, layout) is right
/// only if every image lands within the thresholds the reference header recommends.
/// </summary>
public sealed class ParityTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly ReferenceEmbeddings _reference = ReferenceEmbeddings.Load();
    private EmbeddingEngine _engine = null!;

    public Task InitializeAsync()
    {
        _engine = EngineFactory.Create();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _engine.DisposeAsync();

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // one decode for the model and the fingerprint, as for a new collection item
    public async Task Embeddings_DevAndFormats_MatchReferenceAtRecommendedThresholds(bool withFingerprint)
    {
        var cosines = new List<(double Cosine, string File)>();
        foreach ((string file, float[] expected) in _reference.Embeddings)
        {
            byte[] bytes = File.ReadAllBytes(ReferenceEmbeddings.FullPath(file));
            ImageEmbedding actual = await (withFingerprint
                ? _engine.EmbedPreprocessedAsync(await _engine.LoadAsync("default"), recipe => _engine.Preprocessor.PreprocessWithFingerprint(bytes, recipe, out _))
                : _engine.EmbedImageAsync(bytes, "default")).DefaultTimeout();
            Assert.Equal(1792, actual.Dimensions);
            cosines.Add((VectorMath.Cosine(actual.Vector, expected), file));
        }

        double mean = cosines.Average(c => c.Cosine);
        (double min, string worst) = cosines.Min();
        output.WriteLine($"{cosines.Count} images: mean cosine {mean:F6}, min {min:F6} ({worst})");
        foreach ((double c, string f) in cosines.Order().Take(5)) output.WriteLine($"  {c:F6} {f}");

        Assert.Equal(114, cosines.Count); // 100 dev photos + the 14 decodable edge cases
        Assert.True(mean >= _reference.RecommendedMean, $"mean cosine {mean:F6} < {_reference.RecommendedMean}");
        Assert.True(min >= _reference.RecommendedMin, $"min cosine {min:F6} ({worst}) < {_reference.RecommendedMin}");
    }

    [Fact]
    public async Task Embeddings_EveryDevImage_IsUnitLength()
    {
        foreach (string file in TestPaths.DevFiles().Take(20))
        {
            ImageEmbedding e = await _engine.EmbedImageAsync(File.ReadAllBytes(file), null).DefaultTimeout();
            Assert.Equal(1.0, Math.Sqrt(e.Vector.Sum(v => (double)v * v)), 5);
        }
    }

    [Fact]
    public async Task Embed_FilesReferenceCannotDecode_FailWithTypedErrors()
    {
        Assert.Equal(6, _reference.NotDecodable.Length);
        foreach (string file in _reference.NotDecodable)
        {
            byte[] bytes = File.ReadAllBytes(ReferenceEmbeddings.FullPath(file));
            await Assert.ThrowsAnyAsync<ImageDecodeException>(() => _engine.EmbedImageAsync(bytes, null)).DefaultTimeout();
        }
    }
}

internal static class EngineFactory
{
    public static EmbeddingEngine Create(int maxBatchSize = 16, int queueCapacity = 256, int maxBatchDelayMs = 5, int parallelBatches = 0) =>
        new(new ModelsOptions
        {
            Directory = TestPaths.ModelsDir,
            MaxBatchSize = maxBatchSize,
            QueueCapacity = queueCapacity,
            MaxBatchDelayMs = maxBatchDelayMs,
            ParallelBatches = parallelBatches,
        }, new ImagingOptions());
}
