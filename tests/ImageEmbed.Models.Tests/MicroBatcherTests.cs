using ImageEmbed.Imaging.Preprocess;
using ImageEmbed.Models.Batching;
using ImageEmbed.Models.Execution;
using ImageEmbed.Tests;

namespace ImageEmbed.Models.Tests;

public sealed class MicroBatcherTests
{
    [Fact]
    public async Task LoadAsync_BatchSize_IsTheSettingOrTheCalibratedChoice()
    {
        await using EmbeddingEngine configured = EngineFactory.Create(maxBatchSize: 3);
        Assert.Equal(3, (await configured.LoadAsync(null)).Batcher.MaxBatchSize);

        // Automatic: timed at load, batches of 8 only where they pay; either way the model serves.
        await using EmbeddingEngine automatic = EngineFactory.Create(maxBatchSize: 0);
        LoadedModel model = await automatic.LoadAsync(null);
        Assert.Contains(model.Batcher.MaxBatchSize, new[] { 1, ExecutionPlan.CpuAutomaticBatchSize });
        Assert.Equal((model.Batcher.Runners + 1) * model.Batcher.MaxBatchSize + Environment.ProcessorCount, model.BulkConcurrency);
        Assert.Equal(1, BatchSizeCalibration.Choose(model.Encoder, 1));
    }

    [Fact]
    public async Task EmbedAsync_ConcurrentRequests_AreBatchedAndEachGetsItsOwnVector()
    {
        await using EmbeddingEngine engine = EngineFactory.Create(maxBatchSize: 8, maxBatchDelayMs: 50);
        LoadedModel model = await engine.LoadAsync(null).DefaultTimeout();
        string[] files = TestPaths.DevFiles().Take(16).ToArray();
        float[][] alone = new float[files.Length][];
        for (int i = 0; i < files.Length; i++)
            alone[i] = (await engine.EmbedImageAsync(File.ReadAllBytes(files[i]), null).DefaultTimeout()).Vector;
        long batchesBefore = model.Batcher.BatchesRun;

        PreprocessedImage[] images = files.Select(f => engine.Preprocessor.Preprocess(File.ReadAllBytes(f), model.Encoder.Preprocessing)).ToArray();
        BatchedEmbedding[] results = await Task.WhenAll(images.Select(i => model.Batcher.EmbedAsync(i))).DefaultTimeout();

        Assert.True(model.Batcher.BatchesRun - batchesBefore < files.Length, "16 concurrent requests should share batches");
        Assert.Contains(results, r => r.BatchSize > 1);
        for (int i = 0; i < files.Length; i++)
            for (int d = 0; d < alone[i].Length; d++)
                Assert.True(Math.Abs(alone[i][d] - results[i].Vector[d]) <= 1e-5, $"image {i} dim {d}");
    }

    [Fact]
    public async Task EmbedAsync_ParallelBatches_EveryRequestGetsItsOwnVector()
    {
        await using EmbeddingEngine engine = EngineFactory.Create(maxBatchSize: 2, maxBatchDelayMs: 0, parallelBatches: 3);
        LoadedModel model = await engine.LoadAsync(null).DefaultTimeout();
        Assert.Equal(3, model.Batcher.Runners);
        Assert.Equal(4 * 2 + Environment.ProcessorCount, model.BulkConcurrency);
        string[] files = TestPaths.DevFiles().Take(24).ToArray();
        float[][] alone = new float[files.Length][];
        for (int i = 0; i < files.Length; i++)
            alone[i] = (await engine.EmbedImageAsync(File.ReadAllBytes(files[i]), null).DefaultTimeout()).Vector;

        // Three runners take batches from one queue at once: nothing lost, nothing crossed over.
        ImageEmbedding[] results = await Task.WhenAll(files.Select(f => engine.EmbedImageAsync(File.ReadAllBytes(f), null))).DefaultTimeout();

        for (int i = 0; i < files.Length; i++)
            for (int d = 0; d < alone[i].Length; d++)
                Assert.True(Math.Abs(alone[i][d] - results[i].Vector[d]) <= 1e-5, $"image {i} dim {d}");
        Assert.True(model.Batcher.IsResponsive(TimeSpan.FromSeconds(5)));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(65)]
    public void Options_ParallelBatchesOutOfRange_NamesTheSetting(int value)
    {
        string problem = Assert.Single(new ModelsOptions { Directory = "/models", ParallelBatches = value }.Validate());
        Assert.Equal($"Models:ParallelBatches must be within 0..64 (was {value}).", problem);
    }

    [Fact]
    public async Task EmbedAsync_QueueFull_RefusesWithOverloadedInsteadOfQueueing()
    {
        await using EmbeddingEngine engine = EngineFactory.Create(maxBatchSize: 1, queueCapacity: 2, maxBatchDelayMs: 0);
        LoadedModel model = await engine.LoadAsync(null).DefaultTimeout();
        byte[] bytes = File.ReadAllBytes(TestPaths.DevFiles()[0]);

        var accepted = new List<Task<BatchedEmbedding>>();
        OverloadedException? refused = null;
        for (int i = 0; i < 50 && refused is null; i++)
        {
            try { accepted.Add(model.Batcher.EmbedAsync(engine.Preprocessor.Preprocess(bytes, model.Encoder.Preprocessing))); }
            catch (OverloadedException e) { refused = e; }
        }

        Assert.NotNull(refused);
        Assert.Contains("QueueCapacity = 2", refused.Message, StringComparison.Ordinal);
        await Task.WhenAll(accepted).DefaultTimeout(); // the accepted ones still complete
        Assert.True(model.Batcher.IsResponsive(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task EmbedAsync_CancelledWhileQueued_CompletesAsCancelled()
    {
        await using EmbeddingEngine engine = EngineFactory.Create(maxBatchSize: 1, maxBatchDelayMs: 0);
        LoadedModel model = await engine.LoadAsync(null).DefaultTimeout();
        byte[] bytes = File.ReadAllBytes(TestPaths.DevFiles()[0]);
        using var cts = new CancellationTokenSource();
        cts.Cancel();

        Task<BatchedEmbedding> task = model.Batcher.EmbedAsync(engine.Preprocessor.Preprocess(bytes, model.Encoder.Preprocessing), cts.Token);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task).DefaultTimeout();
        // The batcher is unharmed.
        Assert.Equal(1792, (await engine.EmbedImageAsync(bytes, null).DefaultTimeout()).Dimensions);
    }
}
