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
        DuplicateThreshold = 0.80f, // calibrated on augmented dev photos: docs/DUPLICATES.md
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

    /// <summary>
    /// ImageNet-trained ResNet-18 pooled features (512-d), from Microsoft's NuGet package
    /// Microsoft.ML.DnnImageFeaturizer.ResNet18 0.24.0 (MIT): its preprocess graph (RGB → BGR, per-pixel mean
    /// image subtracted) fused in front of the network by <see cref="Import.ResNet18Installer"/>. The offline
    /// default: it needs no download. Recipe as ML.NET feeds it: 224×224, RGB 0..255 planar (NCHW).
    /// Image-only (no text search).
    /// </summary>
    public static readonly ModelManifest ResNet18ImageNet = new()
    {
        Name = "resnet18-imagenet",
        Dimensions = 512,
        Description = "ResNet-18 ImageNet features (image-only; no text search). Installed offline from a NuGet package.",
        License = "MIT (Microsoft, ML.NET DnnImageFeaturizer.ResNet18)",
        Source = "NuGet Microsoft.ML.DnnImageFeaturizer.ResNet18 0.24.0 (ResNetPreprocess.onnx + ResNet18.onnx, fused)",
        DuplicateThreshold = 0.85f, // calibrated on augmented dev photos by mobilenet's rule: docs/DUPLICATES.md
        Image = new ImageEncoderSpec
        {
            File = "model.onnx",
            Input = "OriginalInput",
            Output = "embedding",
            Preprocessing = new ImagePreprocessing
            {
                Width = 224,
                Height = 224,
                Resize = ResizeMode.Squash,
                Kernel = "linear",
                Scale = 1f,
                Mean = [0f, 0f, 0f],
                Std = [1f, 1f, 1f],
                Layout = TensorLayout.Nchw,
            },
        },
    };

    /// <summary>CLIP's image recipe (Hugging Face CLIPImageProcessor): shortest side to 224, bicubic, centre crop, CLIP mean/std, NCHW.</summary>
    private static readonly ImagePreprocessing ClipPreprocessing = new()
    {
        Width = 224,
        Height = 224,
        Resize = ResizeMode.ShortestSideCenterCrop,
        Kernel = "cubic", // PIL's bicubic (a = -0.5) is libvips' cubic (Catmull-Rom)
        Scale = 1f / 255f,
        Mean = [0.48145466f, 0.4578275f, 0.40821073f],
        Std = [0.26862954f, 0.26130258f, 0.27577711f],
        Layout = TensorLayout.Nchw,
    };

    /// <summary>
    /// OpenAI CLIP ViT-B/32 (512-d), the transformers.js ONNX export <c>Xenova/clip-vit-base-patch32</c>, fp32 towers.
    /// The recommended model: images and text in one space, the most widely used CLIP, 606 MB.
    /// </summary>
    public static readonly ModelManifest ClipVitB32 = Clip(
        "clip-vit-b32", "OpenAI CLIP ViT-B/32: image and text embeddings in one space (text search, zero-shot tagging).",
        "Xenova/clip-vit-base-patch32", "d15189d7028b43f1d3e65039190477f6af591c2a",
        vision: ("onnx/vision_model.onnx", 351_685_709, "fd6e1402a588279d1723c7534d4bcba5bc0b14b47dfab0e46f8c47b8270d7d40"),
        text: ("onnx/text_model.onnx", 254_058_553, "3f6571f5bad13a97c469c1622e1cfc4d9aef78b79fdbfcff804ca357bfada8cc"),
        tokenizer: (2_224_119, "f7f3b7af117d467b58374797691a6438d3e6b9e9cef800dfd5dced7f697a90cd"));

    /// <summary>CLIP ViT-B/32 with 8-bit quantized towers (153 MB instead of 606 MB), same space as <see cref="ClipVitB32"/> up to quantization error.</summary>
    public static readonly ModelManifest ClipVitB32Q8 = Clip(
        "clip-vit-b32-q8", "OpenAI CLIP ViT-B/32, 8-bit quantized towers: a quarter of the download, slightly lower fidelity.",
        "Xenova/clip-vit-base-patch32", "d15189d7028b43f1d3e65039190477f6af591c2a",
        vision: ("onnx/vision_model_quantized.onnx", 89_117_001, "583fd1110a514667812fee7d684952aaf82a99b959760c8d7dca7e0ab9839299"),
        text: ("onnx/text_model_quantized.onnx", 64_504_507, "73baab855d406190da9faa498cfedf65f15cf309f4cc7385b7b032e6d08e5c3a"),
        tokenizer: (2_224_119, "f7f3b7af117d467b58374797691a6438d3e6b9e9cef800dfd5dced7f697a90cd"));

    /// <summary>OpenAI CLIP ViT-B/16 (512-d): finer patches, better retrieval, about 4x the image compute of B/32.</summary>
    public static readonly ModelManifest ClipVitB16 = Clip(
        "clip-vit-b16", "OpenAI CLIP ViT-B/16: more accurate than B/32, about 4x slower per image.",
        "Xenova/clip-vit-base-patch16", "342fdf2f67aded64d138ff074745fb4a5d2bba5f",
        vision: ("onnx/vision_model.onnx", 345_060_583, "b5170b47c0ecc667c9af5b42ed460c341377706d1466d177798c65fe49ea1e6b"),
        text: ("onnx/text_model.onnx", 254_058_553, "19f40c7988af119fc50dabfe8015da8595c0372000e2c1f1a6289e35930577aa"),
        tokenizer: (2_224_081, "72ed5c96db5729294468543e4bc75fce14ca63f58e37300290189ba1c1e52b85"));

    /// <summary>SigLIP's image recipe (SiglipImageProcessor): squash to 224×224, bicubic, rescale 1/255, mean and std 0.5, NCHW. Declared before the entries that use it (static fields initialize in order).</summary>
    private static readonly ImagePreprocessing SiglipPreprocessing = new()
    {
        Width = 224,
        Height = 224,
        Resize = ResizeMode.Squash,
        Kernel = "cubic",
        Scale = 1f / 255f,
        Mean = [0.5f, 0.5f, 0.5f],
        Std = [0.5f, 0.5f, 0.5f],
        Layout = TensorLayout.Nchw,
    };

    /// <summary>
    /// Google SigLIP base/16 at 224 px (768-d), the transformers.js export <c>Xenova/siglip-base-patch16-224</c>, fp32
    /// towers: better zero-shot and retrieval than CLIP B/16 (ImageNet zero-shot 76% against 68%), about the image
    /// compute of B/16, 814 MB. Pins (revision, sizes, sha256) as published by public projects that download these
    /// files and check them: docs/MODELS.md lists where each was read.
    /// </summary>
    public static readonly ModelManifest SiglipBase224 = Siglip(
        "siglip-base-patch16-224", "Google SigLIP base/16 224 px: 768-d image and text embeddings, sigmoid zero-shot scores; more accurate than CLIP.",
        vision: ("onnx/vision_model.onnx", 371_819_850, "f89d41bac7f4d4b87e010a467d93f98689d708916ed22f5a07f96fdfa26f475f"),
        text: ("onnx/text_model.onnx", 441_332_132, "3aa7fdbd20eaa8740cce17bf82913de641fcb632a768fed59f661cdcd0c32553"));

    /// <summary>SigLIP base/16 224 px with the export's 8-bit quantized towers (211 MB instead of 814 MB).</summary>
    public static readonly ModelManifest SiglipBase224Q8 = Siglip(
        "siglip-base-patch16-224-q8", "Google SigLIP base/16 224 px, 8-bit quantized towers: a quarter of the download, slightly lower fidelity.",
        vision: ("onnx/vision_model_quantized.onnx", 99_499_129, "ef14a954f3d57e1806666432bd9785004c1dc27100aa260eee0cb0f10a5de058"),
        text: ("onnx/text_model_quantized.onnx", 111_475_220, "ad0329b1f35acc66d8953ff2559ce358da8eb0a7011794cf951523d63a4dbce2"));

    /// <summary>The model the name <c>default</c> means when <see cref="ModelsOptions.DefaultModel"/> is not set and it is installed.</summary>
    public static string Recommended => ClipVitB32.Name;

    /// <summary>The duplicate threshold when neither the manifest nor the catalog gives one (DESIGN: 0.95).</summary>
    public const float FallbackDuplicateThreshold = 0.95f;

    /// <summary>
    /// The default "visually similar" cosine for a model: its manifest's, else the catalog entry's of the
    /// same name (manifests written before the field existed lack it), else <see cref="FallbackDuplicateThreshold"/>.
    /// </summary>
    public static float DuplicateThreshold(string model, ModelManifest? manifest = null) =>
        manifest?.DuplicateThreshold
        ?? (Known.TryGetValue(model, out ModelManifest? known) ? known.DuplicateThreshold : null)
        ?? FallbackDuplicateThreshold;

    /// <summary>Every known model, by name.</summary>
    public static IReadOnlyDictionary<string, ModelManifest> Known { get; } =
        new[] { ClipVitB32, ClipVitB32Q8, ClipVitB16, SiglipBase224, SiglipBase224Q8, ResNet18ImageNet, MobileNetV2_140 }.ToDictionary(m => m.Name, StringComparer.Ordinal);

    private static ModelManifest Clip(string name, string description, string repo, string revision,
        (string Path, long Size, string Sha256) vision, (string Path, long Size, string Sha256) text, (long Size, string Sha256) tokenizer)
    {
        string Url(string path) => $"https://huggingface.co/{repo}/resolve/{revision}/{path}";
        return new ModelManifest
        {
            Name = name,
            Dimensions = 512,
            Description = description,
            License = "MIT (OpenAI CLIP weights)",
            // Not calibrated here (no CLIP weights on the build machines): a common starting point for CLIP
            // near-duplicates, where edited copies of one photo typically score above 0.9 and different
            // photos of one subject below. docs/DUPLICATES.md says how to calibrate it on your own data.
            DuplicateThreshold = 0.92f,
            Source = $"huggingface.co/{repo} at {revision}",
            Image = new ImageEncoderSpec { File = vision.Path, Sha256 = vision.Sha256, Size = vision.Size, Input = "pixel_values", Output = "image_embeds", Preprocessing = ClipPreprocessing },
            Text = new TextEncoderSpec { File = text.Path, Sha256 = text.Sha256, Size = text.Size, InputIds = "input_ids", Output = "text_embeds", ContextLength = 77, Tokenizer = "tokenizer.json", LogitScale = 100f },
            Downloads =
            [
                new DownloadSpec { Path = vision.Path, Url = Url(vision.Path), Size = vision.Size, Sha256 = vision.Sha256 },
                new DownloadSpec { Path = text.Path, Url = Url(text.Path), Size = text.Size, Sha256 = text.Sha256 },
                new DownloadSpec { Path = "tokenizer.json", Url = Url("tokenizer.json"), Size = tokenizer.Size, Sha256 = tokenizer.Sha256 },
            ],
        };
    }

    private static ModelManifest Siglip(string name, string description, (string Path, long Size, string Sha256) vision, (string Path, long Size, string Sha256) text)
    {
        const string repo = "Xenova/siglip-base-patch16-224", revision = "4649052661e53c7000355844105f8a1792088239";
        string Url(string path) => $"https://huggingface.co/{repo}/resolve/{revision}/{path}";
        (string Path, long Size, string Sha256)[] tokenizer =
        [
            ("tokenizer.json", 2_398_744, "4a17c975210be5ab4c36b47d8dae4eefb866dbfb1e676e394aad85dc30a3ae08"),
            ("tokenizer_config.json", 739, "9a38d3c6b5e26fe5dcc607eda95e38d78d30d9291835bb9e8116e8174c1d4ba2"),
        ];
        return new ModelManifest
        {
            Name = name,
            Dimensions = 768,
            Description = description,
            License = "Apache-2.0 (Google SigLIP weights)",
            Source = $"huggingface.co/{repo} at {revision}",
            Image = new ImageEncoderSpec { File = vision.Path, Sha256 = vision.Sha256, Size = vision.Size, Input = "pixel_values", Output = "pooler_output", Preprocessing = SiglipPreprocessing },
            Text = new TextEncoderSpec
            {
                File = text.Path, Sha256 = text.Sha256, Size = text.Size, InputIds = "input_ids", Output = "pooler_output",
                ContextLength = 64, Tokenizer = "tokenizer.json", TokenizerType = Tokenizers.TextTokenizers.Siglip,
                // exp(logit_scale) and logit_bias of google/siglip-base-patch16-224's weights (docs/MODELS.md says where they were read).
                LogitScale = 117.330795f, LogitBias = -12.932437f, Scoring = "sigmoid",
                // Transformers' zero-shot pipeline template for SigLIP.
                PromptTemplate = "This is a photo of {label}.",
            },
            Downloads =
            [
                new DownloadSpec { Path = vision.Path, Url = Url(vision.Path), Size = vision.Size, Sha256 = vision.Sha256 },
                new DownloadSpec { Path = text.Path, Url = Url(text.Path), Size = text.Size, Sha256 = text.Sha256 },
                .. tokenizer.Select(f => new DownloadSpec { Path = f.Path, Url = Url(f.Path), Size = f.Size, Sha256 = f.Sha256 }),
            ],
        };
    }
}
