using System.Security.Cryptography;
using ImageEmbed.Imaging.Preprocess;
using ImageEmbed.Models.Catalog;
using ImageEmbed.Models.Onnx;

namespace ImageEmbed.ModelTools.Import;

/// <summary>
/// Installs a TensorFlow.js graph model as an ImageEmbed model: converts it to ONNX in a staging
/// folder, writes its manifest, and moves the folder into the models directory only when complete.
/// </summary>
public static class TfjsModelInstaller
{
    /// <summary>The npm package whose MobileNetV2 installs as <c>mobilenet-v2-140</c>.</summary>
    public const string NsfwjsPackage = "nsfwjs@4.3.0";

    /// <summary>
    /// Converts the TF.js model in <paramref name="tfjsFolder"/> and installs it as <paramref name="name"/>.
    /// The name <c>mobilenet-v2-140</c> gets the catalog's recipe; any other name gets a squash-resize recipe
    /// at the graph's input size, RGB / 255, NHWC (the TF.js convention).
    /// </summary>
    /// <exception cref="TfjsImportException">The model is malformed or uses an unsupported op.</exception>
    /// <exception cref="ModelLoadException">A model of that name is installed and <paramref name="force"/> is false.</exception>
    public static InstalledModel Install(string tfjsFolder, string name, string modelsDirectory, bool force = false)
    {
        string staging = ModelFolders.FreshStaging(modelsDirectory, name, force);
        try
        {
            string onnx = Path.Combine(staging, "model.onnx");
            TfjsToOnnxConverter.Convert(tfjsFolder, onnx);
            ModelManifest manifest = Describe(name, onnx, tfjsFolder);
            string[] problems = manifest.Validate().ToArray();
            if (problems.Length > 0) throw new ModelLoadException(string.Join(" ", problems));
            ModelFolders.WriteManifest(staging, manifest);
            return new InstalledModel(manifest, ModelFolders.Publish(staging, modelsDirectory, name));
        }
        catch
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
            throw;
        }
    }

    private static ModelManifest Describe(string name, string onnxPath, string source)
    {
        long size = new FileInfo(onnxPath).Length;
        string sha256;
        using (FileStream stream = File.OpenRead(onnxPath)) sha256 = Convert.ToHexStringLower(SHA256.HashData(stream));

        OrtTensorInfo input, output;
        using (var session = new OrtSession(onnxPath))
        {
            input = session.Inputs[0];
            output = session.Outputs.First(o => o.Name == TfjsToOnnxConverter.EmbeddingName);
        }
        if (input.Shape is not [_, > 0, > 0, 3] || output.Shape is not [_, > 0])
            throw new ModelLoadException($"The imported graph takes {input} and gives {output}; an image encoder needs float[?,H,W,3] in and float[?,D] out.");

        ModelManifest template = name == ModelCatalog.MobileNetV2_140.Name
            ? ModelCatalog.MobileNetV2_140
            : new ModelManifest
            {
                Name = name,
                Dimensions = (int)output.Shape[1],
                Description = "Imported TensorFlow.js image model.",
                Image = new ImageEncoderSpec
                {
                    File = "model.onnx",
                    Input = TfjsToOnnxConverter.InputName,
                    Output = TfjsToOnnxConverter.EmbeddingName,
                    Preprocessing = new ImagePreprocessing { Width = (int)input.Shape[2], Height = (int)input.Shape[1], Layout = TensorLayout.Nhwc },
                },
            };
        return template with
        {
            Name = name,
            Dimensions = (int)output.Shape[1],
            Source = name == ModelCatalog.MobileNetV2_140.Name
                ? $"imported by ImageEmbed from npm {NsfwjsPackage} dist/models/mobilenet_v2_mid"
                : $"imported by ImageEmbed from the TensorFlow.js model in {Path.GetFullPath(source)}",
            Image = template.Image with { File = "model.onnx", Sha256 = sha256, Size = size },
        };
    }
}
