using System.Text.Json;

namespace ImageEmbed.Models.Catalog;

/// <summary>
/// How installs land in the models folder: assembled in <c>.staging/NAME</c> (hidden from the registry,
/// which skips names starting with '.'), then moved into place in one step, so a model is either
/// fully installed or absent.
/// </summary>
internal static class ModelFolders
{
    public static string Staging(string modelsDirectory, string name) => Path.Combine(modelsDirectory, ".staging", name);

    /// <summary>Writes <paramref name="manifest"/> as the folder's <c>imageembed.json</c>.</summary>
    public static void WriteManifest(string folder, ModelManifest manifest) =>
        File.WriteAllText(Path.Combine(folder, ModelRegistry.ManifestFileName), JsonSerializer.Serialize(manifest, ModelManifest.JsonOptions));

    /// <summary>Replaces the installed model of that name (if any) with the staged folder.</summary>
    /// <returns>The installed folder.</returns>
    public static string Publish(string staging, string modelsDirectory, string name)
    {
        string target = Path.Combine(modelsDirectory, name);
        if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
        Directory.Move(staging, target);
        return target;
    }
}
