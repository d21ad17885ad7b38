namespace ImageEmbed.Cli.Infrastructure;

/// <summary>Expands command-line paths into the files to process.</summary>
internal static class InputFiles
{
    /// <summary>
    /// Extensions picked up when walking a folder (by <c>embed</c> and <c>index</c> alike): the formats read, plus
    /// look-alikes that are refused (SVG, BMP), so that they are reported with the reason instead of silently passed
    /// over. Files named explicitly are always tried, whatever their name.
    /// </summary>
    public static readonly IReadOnlySet<string> WalkExtensions = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        ".jpg", ".jpeg", ".jpe", ".png", ".webp", ".gif", ".tif", ".tiff", ".avif", ".heic", ".heif", ".svg", ".bmp",
    };

    /// <summary>Files in argument order; folders expand recursively, sorted, to their image files.</summary>
    /// <exception cref="UsageException">A path does not exist.</exception>
    public static List<string> Expand(IEnumerable<string> paths)
    {
        var files = new List<string>();
        foreach (string path in paths)
        {
            if (File.Exists(path)) files.Add(path);
            else if (Directory.Exists(path))
                files.AddRange(Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
                    .Where(f => WalkExtensions.Contains(Path.GetExtension(f)))
                    .Order(StringComparer.Ordinal));
            else throw new UsageException($"No such file or folder: {path}");
        }
        return files;
    }
}
