using System.Diagnostics;
using ImageEmbed.Models.Onnx;
using ImageEmbed.Tests;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace ImageEmbed.Models.Tests;

// The leak check reads the process's RSS: it runs alone, after the parallel tests, so that other tests'
// models and engines loading meanwhile are not counted as its growth.
[CollectionDefinition(nameof(OrtSessionTests), DisableParallelization = true)]
public sealed class OrtSessionTestsCollection;

[Collection(nameof(OrtSessionTests))]
public sealed class OrtSessionTests
{
    private static readonly string[] EmbeddingOutput = ["embedding"];

    [Fact]
    public void Metadata_MobileNet_MatchesItsIoContract()
    {
        using var session = new OrtSession(TestPaths.MobileNetOnnx);

        OrtTensorInfo input = Assert.Single(session.Inputs);
        Assert.Equal("input", input.Name);
        Assert.Equal(TensorElementType.Float, input.ElementType);
        Assert.Equal([-1L, 224, 224, 3], input.Shape);
        Assert.Equal(["embedding", "probs"], session.Outputs.Select(o => o.Name));
        Assert.Equal([-1L, 1792], session.Outputs[0].Shape);
        Assert.Equal([-1L, 5], session.Outputs[1].Shape);
        Assert.StartsWith("1.", OnnxRuntimeEnvironment.Version, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_GreyImageBatchOf2_GivesTwoIdenticalRowsAndSoftmaxProbs()
    {
        using var session = new OrtSession(TestPaths.MobileNetOnnx);
        float[] data = new float[2 * 224 * 224 * 3];
        Array.Fill(data, 0.5f);

        using OrtOutputs outputs = session.Run([OrtInput.Float("input", data, 2, 224, 224, 3)], ["embedding", "probs"]);

        Assert.Equal([2L, 1792], outputs["embedding"].Shape);
        ReadOnlySpan<float> embedding = outputs["embedding"].AsFloats();
        Assert.True(embedding[..1792].SequenceEqual(embedding[1792..]));
        ReadOnlySpan<float> probs = outputs["probs"].AsFloats();
        Assert.Equal(1.0, probs[..5].ToArray().Sum(), 4);
    }

    [Fact]
    public void Constructor_NotAnOnnxFile_ThrowsOnnxRuntimeExceptionWithNativeMessage()
    {
        string path = Path.Combine(Path.GetTempPath(), $"not-a-model-{Guid.NewGuid():N}.onnx");
        File.WriteAllText(path, "this is not a protobuf");
        try
        {
            var e = Assert.Throws<OnnxRuntimeException>(() => new OrtSession(path));
            Assert.StartsWith("[ErrorCode:", e.Message, StringComparison.Ordinal);
            Assert.Contains("protobuf", e.Message, StringComparison.OrdinalIgnoreCase);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Constructor_MissingFile_ThrowsFileNotFound()
    {
        Assert.Throws<FileNotFoundException>(() => new OrtSession("/nonexistent/model.onnx"));
    }

    [Fact]
    public void Run_WrongInputName_ThrowsArgumentExceptionListingTheRealOnes()
    {
        using var session = new OrtSession(TestPaths.MobileNetOnnx);
        var e = Assert.Throws<ArgumentException>(() => session.Run([OrtInput.Float("pixels", new float[224 * 224 * 3], 1, 224, 224, 3)], EmbeddingOutput));
        Assert.Contains("'pixels'", e.Message, StringComparison.Ordinal);
        Assert.Contains("input: Float[?,224,224,3]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_WrongShape_ThrowsOnnxRuntimeException()
    {
        using var session = new OrtSession(TestPaths.MobileNetOnnx);
        var e = Assert.Throws<OnnxRuntimeException>(() => session.Run([OrtInput.Float("input", new float[100 * 100 * 3], 1, 100, 100, 3)], EmbeddingOutput));
        Assert.StartsWith("[ErrorCode:InvalidArgument]", e.Message, StringComparison.Ordinal);
        Assert.Contains("input", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OrtInput_ShapeAndLengthDisagree_ThrowsBeforeAnyNativeCall()
    {
        var e = Assert.Throws<ArgumentException>(() => OrtInput.Float("input", new float[10], 1, 224, 224, 3));
        Assert.Contains("150528 elements but 10", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_CancelledToken_ThrowsOperationCanceled()
    {
        using var session = new OrtSession(TestPaths.MobileNetOnnx);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() =>
            session.Run([OrtInput.Float("input", new float[224 * 224 * 3], 1, 224, 224, 3)], EmbeddingOutput, cts.Token));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Create_SpinningOnOrOff_GivesTheSameEmbedding(bool spinning)
    {
        // The setting goes through AddSessionConfigEntry: an unknown key or value would fail here rather than in production.
        float[] data = new float[224 * 224 * 3];
        for (int i = 0; i < data.Length; i++) data[i] = (i % 251) / 251f;
        using var reference = new OrtSession(TestPaths.MobileNetOnnx, new OrtSessionSettings { IntraOpThreads = 1 });
        using var session = new OrtSession(TestPaths.MobileNetOnnx, new OrtSessionSettings { AllowSpinning = spinning });
        using OrtOutputs expected = reference.Run([OrtInput.Float("input", data, 1, 224, 224, 3)], EmbeddingOutput);
        using OrtOutputs actual = session.Run([OrtInput.Float("input", data, 1, 224, 224, 3)], EmbeddingOutput);

        float[] a = expected[0].AsFloats().ToArray(), b = actual[0].AsFloats().ToArray();
        Assert.Equal(a.Length, b.Length);
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i], 4);
    }

    [Fact]
    public void Run_ThreeThousandInferences_MemoryStaysFlat()
    {
        // Every run creates and releases input and output OrtValues (and, with a token, RunOptions):
        // a leak of any of them grows the process by ~7 KB to 600 KB per run.
        using var session = new OrtSession(TestPaths.MobileNetOnnx, new OrtSessionSettings { IntraOpThreads = 1 });
        float[] data = new float[224 * 224 * 3];
        for (int i = 0; i < data.Length; i++) data[i] = (i % 255) / 255f;
        using var cts = new CancellationTokenSource();
        void RunOnce()
        {
            using OrtOutputs outputs = session.Run([OrtInput.Float("input", data, 1, 224, 224, 3)], ["embedding", "probs"], cts.Token);
            _ = outputs[0].AsFloats()[0];
        }

        for (int i = 0; i < 200; i++) RunOnce(); // warm-up: arena and memory plan settle
        long before = CurrentRss();
        for (int i = 0; i < 3000; i++) RunOnce();
        long growth = CurrentRss() - before;

        Assert.True(growth < 24L * 1024 * 1024, $"RSS grew by {growth / 1024} KB over 3000 runs.");
    }

    internal static long CurrentRss()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return process.WorkingSet64;
    }
}
