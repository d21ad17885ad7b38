namespace ImageEmbed.Tests;

/// <summary>Locations of the repository and of <c>../shared</c> (fixtures every developer and CI have).</summary>
internal static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();
    public static string Shared => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));
    public static string ModelsDir => Path.Combine(Shared, "models");
    public static string MobileNetOnnx => Path.Combine(ModelsDir, "mobilenet-v2-140", "model.onnx");
    public static string DevImages => Path.Combine(Shared, "images", "dev");
    public static string FormatImages => Path.Combine(Shared, "images", "formats");
    public static string ReferenceFile(string name) => Path.Combine(Shared, "reference", name);

    /// <summary>
    /// The <c>imageembed</c> executable as its own build left it (Debug or Release, as these tests were built): the
    /// CLI, and the service as <c>imageembed serve</c>.
    /// </summary>
    public static string CliDll => Path.Combine(RepoRoot, "src", "ImageEmbed.Cli", "bin",
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug",
        "net10.0", "imageembed.dll");

    public static string Dev(string file) => Path.Combine(DevImages, file);
    public static string Format(string file) => Path.Combine(FormatImages, file);

    /// <summary>The dev photos (JPEG files), sorted.</summary>
    public static string[] DevFiles() =>
        Directory.GetFiles(DevImages).Where(f => !f.EndsWith(".tsv", StringComparison.Ordinal) && !f.EndsWith(".md", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToArray();

    private static string FindRepoRoot()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
            if (File.Exists(Path.Combine(dir, "ImageEmbed.slnx"))) return dir;
        throw new InvalidOperationException("Could not find the repository root (ImageEmbed.slnx) above " + AppContext.BaseDirectory);
    }
}
