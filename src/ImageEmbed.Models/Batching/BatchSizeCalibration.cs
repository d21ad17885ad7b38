using System.Diagnostics;
using ImageEmbed.Models.Catalog;
using ImageEmbed.Models.Sessions;
using ImageEmbed.Native.Onnx;

namespace ImageEmbed.Models.Batching;

/// <summary>
/// The automatic batch size (<see cref="ModelsOptions.MaxBatchSize"/> = 0), chosen per model on the machine
/// it runs on. Batches only pay when the model runs markedly faster per image in a batch: on 2 cores a
/// ViT-B/32 does (44 vs 31 images/s bare, so the end-to-end pipeline goes from 61% to 88% of the bare
/// session), mobilenet-v2-140 barely does (234 vs 208), and there waiting for a batch while decoding
/// shares the same cores costs more than it wins (end to end 145 images/s at batch 1, 133 at 8).
/// docs/BENCHMARKS.md has the runs.
/// </summary>
public static class BatchSizeCalibration
{
    /// <summary>Batching is chosen when a batched image costs at most this fraction of a single one.</summary>
    public const double Gain = 0.85;

    /// <summary>
    /// Times the encoder on blank input, one image against <paramref name="batch"/> at once (best of a few
    /// runs each, so a noisy neighbour cannot decide it), and returns <paramref name="batch"/> or 1.
    /// A model that refuses a batch (fixed batch dimension) gets 1.
    /// </summary>
    public static int Choose(ImageEncoder encoder, int batch)
    {
        if (batch <= 1) return 1;
        float[] input = new float[batch * encoder.Preprocessing.TensorLength];
        float[] output = new float[batch * encoder.Dimensions];
        try
        {
            double single = Best(encoder, input, output, 1, runs: 4);
            double batched = Best(encoder, input, output, batch, runs: 2) / batch;
            return batched <= Gain * single ? batch : 1;
        }
        catch (Exception e) when (e is OrtException or ModelLoadException)
        {
            return 1;
        }
    }

    private static double Best(ImageEncoder encoder, float[] input, float[] output, int count, int runs)
    {
        encoder.Encode(input, count, output); // warm-up: first runs allocate and plan
        double best = double.MaxValue;
        for (int i = 0; i < runs; i++)
        {
            long start = Stopwatch.GetTimestamp();
            encoder.Encode(input, count, output);
            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        return best;
    }
}
