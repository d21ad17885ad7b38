using System.Text.Json;
using ImageEmbed.Imaging;
using ImageEmbed.Models.Batching;
using ImageEmbed.Tests;

namespace ImageEmbed.Models.Tests;

/// <summary>The automatic batch size is measured once per model and plan, and remembered in the data folder.</summary>
public sealed class CalibrationMemoTests : IDisposable
{
    private readonly string _state = Directory.CreateTempSubdirectory("imageembed-state-").FullName;
    private string MemoFile => Path.Combine(_state, CalibrationMemo.FileName);

    [Fact]
    public async Task Load_Automatic_MeasuresOnceThenTakesTheRememberedAnswer()
    {
        string key;
        await using (var first = new EmbeddingEngine(new ModelsOptions { Directory = TestPaths.ModelsDir }, new ImagingOptions(), _state))
        {
            LoadedModel model = await first.LoadAsync(null).DefaultTimeout();
            key = CalibrationMemo.Key(model.Encoder.Model, first.Plan);
            Assert.Equal(model.Batcher.MaxBatchSize, Read()[key]);
        }

        // A restart takes what is written: prove it by writing the other answer than whatever was measured.
        int other = Read()[key] == 1 ? 8 : 1;
        File.WriteAllText(MemoFile, JsonSerializer.Serialize(new Dictionary<string, int> { [key] = other }));
        await using (var second = new EmbeddingEngine(new ModelsOptions { Directory = TestPaths.ModelsDir }, new ImagingOptions(), _state))
            Assert.Equal(other, (await second.LoadAsync(null).DefaultTimeout()).Batcher.MaxBatchSize);

        // Another plan (here: one batch at a time) is another key, measured afresh; the first answer stays.
        await using (var third = new EmbeddingEngine(new ModelsOptions { Directory = TestPaths.ModelsDir, ParallelBatches = 1 }, new ImagingOptions(), _state))
        {
            LoadedModel model = await third.LoadAsync(null).DefaultTimeout();
            Dictionary<string, int> memo = Read();
            Assert.Equal(2, memo.Count);
            Assert.Equal(other, memo[key]);
            Assert.Equal(model.Batcher.MaxBatchSize, memo[CalibrationMemo.Key(model.Encoder.Model, third.Plan)]);
        }
    }

    [Theory]
    [InlineData("{ not json")]
    [InlineData("{\"KEY\": 5}")]
    public async Task Load_DamagedOrImpossibleMemo_MeasuresAgain(string content)
    {
        await using var engine = new EmbeddingEngine(new ModelsOptions { Directory = TestPaths.ModelsDir }, new ImagingOptions(), _state);
        string key = CalibrationMemo.Key(engine.Registry.Find(engine.Registry.ResolveName(null)), engine.Plan);
        File.WriteAllText(MemoFile, content.Replace("KEY", key, StringComparison.Ordinal));
        LoadedModel model = await engine.LoadAsync(null).DefaultTimeout();
        Assert.Contains(model.Batcher.MaxBatchSize, new[] { 1, engine.Plan.MaxBatchSize });
        Assert.Equal(model.Batcher.MaxBatchSize, Read()[key]);
    }

    private Dictionary<string, int> Read() => JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllText(MemoFile))!;

    public void Dispose() => Directory.Delete(_state, recursive: true);
}
