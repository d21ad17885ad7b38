using ImageEmbed.Imaging.Preprocess;
using ImageEmbed.Tests;

namespace ImageEmbed.Models.Tests;

public sealed class DeterminismTests
{
    [Fact]
    public async Task Embed_SameBytesInTwoEngines_BitIdentical()
    {
        byte[] bytes = File.ReadAllBytes(TestPaths.DevFiles()[3]);
        float[] first, second;
        await using (EmbeddingEngine engine = EngineFactory.Create())
            first = (await engine.EmbedImageAsync(bytes, null).DefaultTimeout()).Vector;
        await using (EmbeddingEngine engine = EngineFactory.Create())
            second = (await engine.EmbedImageAsync(bytes, null).DefaultTimeout()).Vector;

        Assert.Equal(first, second); // exact: same bytes, same model, same batch size
    }

    [Fact]
    public async Task Encode_Batch8VersusOneByOne_Within1e5()
    {
        await using EmbeddingEngine engine = EngineFactory.Create();
        LoadedModel model = await engine.LoadAsync(null).DefaultTimeout();
        ImagePreprocessing recipe = model.Encoder.Preprocessing;
        int row = recipe.TensorLength, dims = model.Dimensions;
        string[] files = TestPaths.DevFiles().Take(8).ToArray();
        float[] batch = new float[8 * row];
        for (int i = 0; i < 8; i++)
        {
            using PreprocessedImage image = engine.Preprocessor.Preprocess(File.ReadAllBytes(files[i]), recipe);
            image.Tensor.CopyTo(batch.AsSpan(i * row));
        }

        float[] together = new float[8 * dims];
        model.Encoder.Encode(batch, 8, together);

        double maxDiff = 0;
        for (int i = 0; i < 8; i++)
        {
            float[] alone = new float[dims];
            model.Encoder.Encode(batch.AsMemory(i * row, row), 1, alone);
            for (int d = 0; d < dims; d++) maxDiff = Math.Max(maxDiff, Math.Abs(alone[d] - together[i * dims + d]));
        }
        Assert.True(maxDiff <= 1e-5, $"max |batch8 - batch1| = {maxDiff:E2}");
    }
}
