using ImageEmbed.Imaging.Preprocess;

namespace ImageEmbed.Models.Catalog;

/// <summary>Models ImageEmbed knows by name, with their manifests.</summary>
public static class ModelCatalog
{
    /// <summary>
    /// MobileNetV2 (width 1.4) pooled features, converted from the TensorFlow.js graph model in the npm
    /// package nsfwjs@4.3.0. Image-only; 1792 dimensions. Recipe: squash to 224×224 with libvips' linear
    /// kernel, RGB / 255, NHWC (the graph rescales to [-1, 1] itself).
    /// </summary>
    public static readonly ModelManifest MobileNetV2_140 = new()
    {
        Name = "mobilenet-v2-140",
        Dimensions = 1792,
        Description = "MobileNetV2 1.4 pooled image features (image-only; no text search).",
        License = "MIT (Infinite Red, nsfwjs)",
        Source = "npm nsfwjs@4.3.0 dist/models/mobilenet_v2_mid, converted to ONNX",
        Image = new ImageEncoderSpec
        {
            File = "model.onnx",
            Sha256 = "0fbd438074382d03ffac52ffe705932ad33af4d847be0b93a4d6889dbe031ff7",
            Size = 17_318_137,
            Input = "input",
            Output = "embedding",
            Preprocessing = new ImagePreprocessing
            {
                Width = 224,
                Height = 224,
                Resize = ResizeMode.Squash,
                Kernel = "linear",
                Scale = 1f / 255f,
                Mean = [0f, 0f, 0f],
                Std = [1f, 1f, 1f],
                Layout = TensorLayout.Nhwc,
            },
        },
    };

    /// <summary>Every known model, by name.</summary>
    public static IReadOnlyDictionary<string, ModelManifest> Known { get; } =
        new Dictionary<string, ModelManifest>(StringComparer.Ordinal)
        {
            [MobileNetV2_140.Name] = MobileNetV2_140,
        };
}
