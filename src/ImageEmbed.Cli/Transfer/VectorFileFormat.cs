using ImageEmbed.Cli.Infrastructure;

namespace ImageEmbed.Cli.Transfer;

/// <summary>The file formats of <c>export</c> and <c>import</c>, chosen by <c>--format</c> or the file's extension.</summary>
internal enum VectorFileFormat { JsonLines, Csv, Npy }

internal static class VectorFileFormats
{
    public static VectorFileFormat Choose(string path, string? format) => (format ?? Path.GetExtension(path).TrimStart('.')).ToLowerInvariant() switch
    {
        "jsonl" or "ndjson" or "json" => VectorFileFormat.JsonLines,
        "csv" => VectorFileFormat.Csv,
        "npy" => VectorFileFormat.Npy,
        _ => throw new UsageException($"Cannot tell the format of '{path}': use a .jsonl, .csv or .npy name, or --format jsonl|csv|npy."),
    };

    /// <summary>The ids file beside a <c>.npy</c>: <c>vectors.npy</c> → <c>vectors.ids.txt</c>, one id per line in row order.</summary>
    public static string IdsFile(string npyPath) => Path.ChangeExtension(npyPath, null) + ".ids.txt";
}
