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

    /// <summary>The CLI as its own build left it (Debug or Release, as these tests were built).</summary>
    public static string CliDll => BuiltDll("ImageEmbed.Cli", "imageembed.dll");

    /// <summary>The service as its own build left it, to run as a separate process.</summary>
    public static string ServiceDll => BuiltDll("ImageEmbed.Service", "imageembed-service.dll");

    private static string BuiltDll(string project, string dll) => Path.Combine(RepoRoot, "src", project, "bin",
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug",
        "net10.0", dll);

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
