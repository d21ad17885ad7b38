using System.Globalization;
using System.Text.Json;
using ImageEmbed.Models.Catalog;
using ImageEmbed.Models.Execution;
using ImageEmbed.Models.Onnx;
using ImageEmbed.Models.Sessions;

namespace ImageEmbed.Models.Batching;

/// <summary>
/// Remembers <see cref="BatchSizeCalibration"/>'s answers in a small JSON file (<c>batch-sizes.json</c> in the data
/// folder), so a restart skips the timing: it is most of the start-up (a ViT-B/32 on 2 cores: 17 of 20 s,
/// docs/BENCHMARKS.md). An answer holds only for what it was measured on: the same model file, provider, threads,
/// parallel batches, cores and ONNX Runtime version make up its key, so any change measures again. The file is a
/// cache: unreadable or unwritable, it is ignored and the model is timed as before.
/// </summary>
internal sealed class CalibrationMemo(string file)
{
    public const string FileName = "batch-sizes.json";

    private static readonly Lock s_write = new();

    /// <summary>The remembered batch size for this model and plan, or a fresh measurement (then remembered).</summary>
    /// <param name="measured">True when the encoder was timed now (and has run the larger batch).</param>
    public int Choose(ImageEncoder encoder, ExecutionPlan plan, out bool measured)
    {
        string key = Key(encoder.Model, plan);
        measured = false;
        if (Read().TryGetValue(key, out int known) && (known == 1 || known == plan.MaxBatchSize)) return known;
        measured = true;
        int chosen = BatchSizeCalibration.Choose(encoder, plan.MaxBatchSize);
        lock (s_write)
        {
            Dictionary<string, int> all = Read();
            all[key] = chosen;
            try
            {
                // Whole-file replace: a reader never sees half a file, and a crash leaves the old one.
                string temporary = file + "." + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + ".tmp";
                File.WriteAllText(temporary, JsonSerializer.Serialize(all));
                // It lives in the data folder, whose files are the owner's alone (see Storage's PrivateFiles).
                if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                File.Move(temporary, file, overwrite: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
        return chosen;
    }

    internal static string Key(InstalledModel model, ExecutionPlan plan)
    {
        var encoder = new FileInfo(model.ImageEncoderPath);
        // The manifest's sha256 names the file's content; without one, its size and time stand in.
        string identity = model.Manifest.Image.Sha256 ?? FormattableString.Invariant($"{encoder.Length}@{encoder.LastWriteTimeUtc.Ticks}");
        return FormattableString.Invariant(
            $"{model.Name} {identity} {plan.Provider}:{plan.Device} batch {plan.MaxBatchSize} threads {plan.IntraOpThreads}x{plan.ParallelBatches} cores {Environment.ProcessorCount} ort {OnnxRuntimeEnvironment.Version}");
    }

    private Dictionary<string, int> Read()
    {
        try
        {
            return File.Exists(file) ? JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllText(file)) ?? [] : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return [];
        }
    }
}
