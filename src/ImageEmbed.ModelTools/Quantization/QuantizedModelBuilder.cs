using System.Security.Cryptography;
using ImageEmbed.Models.Catalog;

namespace ImageEmbed.ModelTools.Quantization;

/// <summary>An int8 model assembled in the staging folder, not yet installed.</summary>
/// <param name="Model">The staged model (its folder is under <c>.staging</c>), loadable for a parity check.</param>
/// <param name="Source">The float model it was made from.</param>
/// <param name="Image">What changed in the image tower.</param>
/// <param name="Text">What changed in the text tower; null without one, zero MatMuls when it was copied as is.</param>
public sealed record StagedQuantization(InstalledModel Model, InstalledModel Source, QuantizationResult Image, QuantizationResult? Text);

/// <summary>
/// Makes an int8 variant of an installed model as a new model folder: the ONNX towers quantized with
/// <see cref="OnnxQuantizer"/>, every other file copied, the manifest copied with the new name, files,
/// sizes and hashes. Assembled in the staging folder so that a failed or refused variant never appears
/// in the models directory; <see cref="Publish"/> moves it into place in one step.
/// </summary>
public static class QuantizedModelBuilder
{
    /// <summary>The default name of the variant: <c>NAME-int8</c>.</summary>
    public static string DefaultName(string source) => source + "-int8";

    /// <exception cref="QuantizationException">The image tower has nothing to quantize, or a file cannot be quantized.</exception>
    /// <exception cref="ModelLoadException">The new name is taken (without <paramref name="force"/>), is the source's, or is not a plain folder name.</exception>
    public static StagedQuantization Stage(InstalledModel source, string name, string modelsDirectory, bool force, IProgress<string>? progress = null)
    {
        if (name.Length == 0 || name.Length > 128 || name.StartsWith('.') || name.IndexOfAny(['/', '\\', '\0']) >= 0)
            throw new ModelLoadException($"'{name}' cannot be a model name: it must be a plain folder name.");
        if (string.Equals(name, source.Name, StringComparison.Ordinal))
            throw new ModelLoadException($"The int8 model needs a name of its own; '{name}' is the model being quantized.");
        string staging = ModelFolders.FreshStaging(modelsDirectory, name, force);
        try
        {
            ModelManifest m = source.Manifest;
            var rewritten = new HashSet<string>(StringComparer.Ordinal) { Path.GetFullPath(source.ImageEncoderPath) };
            if (source.TextEncoderPath is { } textPath) rewritten.Add(Path.GetFullPath(textPath));
            CopyOtherFiles(source.Directory, staging, rewritten);

            progress?.Report($"quantizing {m.Image.File}");
            string imagePath = Path.Combine(staging, m.Image.File);
            QuantizationResult image = OnnxQuantizer.QuantizeFile(source.ImageEncoderPath, imagePath);
            if (image.MatMuls == 0)
                throw new QuantizationException(
                    $"Model '{source.Name}' has nothing to quantize: its image tower has no MatMul with a constant 2-D float weight of " +
                    $"{OnnxQuantizer.MinElements:N0} or more elements (Conv layers stay float: int8 convolution is not faster on CPU). Nothing was installed.");

            QuantizationResult? text = null;
            TextEncoderSpec? textSpec = m.Text;
            if (m.Text is { } t)
            {
                progress?.Report($"quantizing {t.File}");
                string stagedText = Path.Combine(staging, t.File);
                text = OnnxQuantizer.QuantizeFile(source.TextEncoderPath!, stagedText);
                if (text.MatMuls == 0) File.Copy(source.TextEncoderPath!, stagedText, overwrite: true);
                textSpec = t with { Sha256 = Sha256(stagedText), Size = new FileInfo(stagedText).Length, SpaceSha256 = null };
            }

            ModelManifest manifest = m with
            {
                Name = name,
                Description = $"int8 from {source.Name}: linear layers dynamically quantized by ImageEmbed ({image.MatMuls} MatMul(s) in the image tower" +
                    (text is { MatMuls: > 0 } ? $", {text.MatMuls} in the text tower" : "") + ")." + (m.Description is { } d ? $" {source.Name}: {d}" : ""),
                Source = $"imageembed models quantize {source.Name}" + (m.Source is { } s ? $" (from {s})" : ""),
                Image = m.Image with { Sha256 = Sha256(imagePath), Size = new FileInfo(imagePath).Length, SpaceSha256 = null },
                Text = textSpec,
                Downloads = [], // the pull list describes the source's files, not these
            };
            string[] problems = manifest.Validate().ToArray();
            if (problems.Length > 0) throw new ModelLoadException(string.Join(" ", problems));
            ModelFolders.WriteManifest(staging, manifest);
            return new StagedQuantization(new InstalledModel(manifest, staging), source, image, text);
        }
        catch
        {
            Directory.Delete(staging, recursive: true);
            throw;
        }
    }

    /// <summary>
    /// Installs the staged model as its name, replacing one of that name. With <paramref name="shareSpace"/>
    /// its manifest names the source's files in <c>space_sha256</c>, so its vectors share the source's
    /// embedding space; only for a variant whose parity was checked.
    /// </summary>
    public static InstalledModel Publish(StagedQuantization staged, string modelsDirectory, bool shareSpace)
    {
        ModelManifest manifest = staged.Model.Manifest;
        if (shareSpace)
        {
            ModelManifest source = staged.Source.Manifest;
            manifest = manifest with
            {
                // A source that is itself a variant passes its own original on.
                Image = manifest.Image with { SpaceSha256 = source.Image.SpaceSha256 ?? source.Image.Sha256 ?? Sha256(staged.Source.ImageEncoderPath) },
                Text = manifest.Text is { } t && source.Text is { } st
                    ? t with { SpaceSha256 = st.SpaceSha256 ?? st.Sha256 ?? Sha256(staged.Source.TextEncoderPath!) }
                    : manifest.Text,
            };
            ModelFolders.WriteManifest(staged.Model.Directory, manifest);
        }
        return new InstalledModel(manifest, ModelFolders.Publish(staged.Model.Directory, modelsDirectory, manifest.Name));
    }

    /// <summary>Deletes the staged folder (a refused variant).</summary>
    public static void Discard(StagedQuantization staged)
    {
        if (Directory.Exists(staged.Model.Directory)) Directory.Delete(staged.Model.Directory, recursive: true);
    }

    private static void CopyOtherFiles(string from, string to, HashSet<string> skip)
    {
        foreach (string file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(from, file);
            if (skip.Contains(Path.GetFullPath(file)) || relative == ModelRegistry.ManifestFileName) continue;
            string target = Path.Combine(to, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    private static string Sha256(string path)
    {
        using FileStream stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
