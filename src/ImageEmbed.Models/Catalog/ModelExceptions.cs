namespace ImageEmbed.Models.Catalog;

/// <summary>No installed model has this name; the message lists the ones that are.</summary>
public sealed class UnknownModelException(string model, IEnumerable<string> installed)
    : Exception($"Unknown model '{model}'. Installed: {(installed.Any() ? string.Join(", ", installed) : "none")}.")
{
    public string Model { get; } = model;
}

/// <summary>A model folder is incomplete or its files do not match the manifest (wrong checksum, wrong tensors).</summary>
public sealed class ModelLoadException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The model cannot do what was asked for its modality (e.g. text on an image-only model); the message names what it supports.</summary>
public sealed class UnsupportedModalityException(string message) : Exception(message);
