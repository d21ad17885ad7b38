using System.Diagnostics;
using ImageEmbed.Models.Catalog;
using ImageEmbed.Models.Sessions;
using ImageEmbed.Models.Onnx;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

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
    /// Times the encoder on blank input, one image against <paramref name="batch"/> at once, and returns
    /// <paramref name="batch"/> or 1. The two are timed in alternation and the best run of each is kept, so
    /// load that starts or stops meanwhile (a service is often timed while its clients start) falls on both
    /// sides rather than deciding the answer. A model that refuses a batch (fixed batch dimension) gets 1.
    /// </summary>
    public static int Choose(ImageEncoder encoder, int batch)
    {
        if (batch <= 1) return 1;
        float[] input = new float[batch * encoder.Preprocessing.TensorLength];
        float[] output = new float[batch * encoder.Dimensions];
        try
        {
            // Warm-up: the first runs of each shape allocate and plan.
            encoder.Encode(input, 1, output);
            encoder.Encode(input, batch, output);
            double single = double.MaxValue, batched = double.MaxValue;
            for (int round = 0; round < 3; round++)
            {
                single = Math.Min(single, Time(encoder, input, output, 1));
                batched = Math.Min(batched, Time(encoder, input, output, batch) / batch);
                single = Math.Min(single, Time(encoder, input, output, 1));
            }
            return batched <= Gain * single ? batch : 1;
        }
        catch (Exception e) when (e is OnnxRuntimeException or ModelLoadException)
        {
            return 1;
        }
    }

    private static double Time(ImageEncoder encoder, float[] input, float[] output, int count)
    {
        long start = Stopwatch.GetTimestamp();
        encoder.Encode(input, count, output);
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }
}
