using System.Globalization;
using ImageEmbed.Imaging;
using ImageEmbed.Models;

namespace ImageEmbed.Cli.Infrastructure;

/// <summary>
/// Reads the <c>IMAGEEMBED_*</c> environment variables into the layers' options. The same names
/// configure the service, so a setting means the same thing in both.
/// </summary>
internal static class Settings
{
    public static string DataDirectory =>
        Env("IMAGEEMBED_DATA_DIR") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".imageembed");

    public static ModelsOptions Models()
    {
        var options = new ModelsOptions
        {
            Directory = Env("IMAGEEMBED_MODELS_DIR") ?? Path.Combine(DataDirectory, "models"),
        };
        if (Env("IMAGEEMBED_DEFAULT_MODEL") is { } model) options.DefaultModel = model;
        options.IntraOpThreads = Int("IMAGEEMBED_INTRA_OP_THREADS", options.IntraOpThreads);
        options.MaxBatchSize = Int("IMAGEEMBED_MAX_BATCH_SIZE", options.MaxBatchSize);
        options.MaxBatchDelayMs = Int("IMAGEEMBED_MAX_BATCH_DELAY_MS", options.MaxBatchDelayMs);
        options.QueueCapacity = Int("IMAGEEMBED_QUEUE_CAPACITY", options.QueueCapacity);
        if (Env("IMAGEEMBED_VERIFY_CHECKSUMS") is { } verify) options.VerifyChecksums = !(verify is "0" or "false" or "no");
        return options;
    }

    public static ImagingOptions Imaging()
    {
        var options = new ImagingOptions();
        options.MaxPixels = Long("IMAGEEMBED_MAX_PIXELS", options.MaxPixels);
        options.MaxBytes = Long("IMAGEEMBED_MAX_BYTES", options.MaxBytes);
        if (Env("IMAGEEMBED_FAIL_ON") is { } failOn) options.FailOn = failOn;
        return options;
    }

    private static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;

    private static int Int(string name, int fallback) => (int)Long(name, fallback);

    private static long Long(string name, long fallback)
    {
        string? raw = Env(name);
        if (raw is null) return fallback;
        return long.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out long value)
            ? value
            : throw new UsageException($"{name} must be a whole number (was '{raw}').");
    }
}
