using System.Text.Json;

namespace ImageEmbed.Models.Catalog;

/// <summary>
/// How installs land in the models folder: assembled in <c>.staging/NAME</c> (hidden from the registry,
/// which skips names starting with '.'), then moved into place in one step, so a model is either
/// fully installed or absent.
/// </summary>
public static class ModelFolders
{
    /// <summary>
    /// Whether <paramref name="name"/> may name a model folder: a plain folder name (no separators, no leading dot,
    /// at most 128 characters). Names come from requests and command lines; only such a name reaches the file system.
    /// </summary>
    public static bool IsPlainName(string name) =>
        name.Length is > 0 and <= 128 && !name.StartsWith('.') && name.IndexOfAny(['/', '\\', '\0']) < 0;

    public static string Staging(string modelsDirectory, string name) => Path.Combine(modelsDirectory, ".staging", name);

    /// <summary>An empty staging folder for a model built locally (nothing to resume, unlike a download).</summary>
    /// <exception cref="ModelLoadException">A model of that name is installed and <paramref name="force"/> is false.</exception>
    public static string FreshStaging(string modelsDirectory, string name, bool force)
    {
        string target = Path.Combine(modelsDirectory, name);
        if (Directory.Exists(target) && !force)
            throw new ModelLoadException($"Model '{name}' is already installed in {target}; use --force to replace it.");
        string staging = Staging(modelsDirectory, name);
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        Directory.CreateDirectory(staging);
        return staging;
    }

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
        // Leave no empty .staging behind; another install may be staging beside this one, so only when empty.
        string? parent = Path.GetDirectoryName(staging);
        try
        {
            if (parent is not null && !Directory.EnumerateFileSystemEntries(parent).Any()) Directory.Delete(parent);
        }
        catch (IOException)
        {
            // Another install started staging meanwhile: its folder stays.
        }
        return target;
    }
}
