using System.Security.Cryptography;

namespace ImageEmbed.Models.Catalog;

/// <summary>A model whose folder exists in the models directory.</summary>
public sealed record InstalledModel(ModelManifest Manifest, string Directory)
{
    public string Name => Manifest.Name;
    public string ImageEncoderPath => Path.Combine(Directory, Manifest.Image.File);
    public string? TextEncoderPath => Manifest.Text is { } text ? Path.Combine(Directory, text.File) : null;

    /// <summary>Checks that every file exists and matches the manifest's size and sha256.</summary>
    /// <exception cref="ModelLoadException">A file is missing or differs.</exception>
    public void VerifyFiles(bool checksums)
    {
        Verify(ImageEncoderPath, Manifest.Image.Size, checksums ? Manifest.Image.Sha256 : null);
        if (Manifest.Text is { } text) Verify(TextEncoderPath!, text.Size, checksums ? text.Sha256 : null);
    }

    private void Verify(string path, long? size, string? sha256)
    {
        var file = new FileInfo(path);
        // A symlinked model file (common for large shared models) is checked by what it points at.
        if (file.LinkTarget is not null && file.ResolveLinkTarget(returnFinalTarget: true) is FileInfo target) file = target;
        if (!file.Exists) throw new ModelLoadException($"Model '{Name}' is missing {path}.");
        if (size is { } expected && file.Length != expected)
            throw new ModelLoadException($"Model '{Name}': {path} is {file.Length:N0} bytes, the manifest says {expected:N0}. Re-install the model.");
        if (sha256 is null) return;
        using FileStream stream = file.OpenRead();
        string actual = Convert.ToHexStringLower(SHA256.HashData(stream));
        if (!string.Equals(actual, sha256, StringComparison.OrdinalIgnoreCase))
            throw new ModelLoadException($"Model '{Name}': {path} has sha256 {actual}, the manifest says {sha256}. The file is damaged or not this model; re-install it.");
    }
}
