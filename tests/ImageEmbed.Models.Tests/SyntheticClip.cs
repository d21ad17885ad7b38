using System.Security.Cryptography;
using System.Text.Json;
using ImageEmbed.Models.Catalog;

namespace ImageEmbed.Tests;

/// <summary>
/// CLIP-shaped models made by the tests (no CLIP weights can be fetched here): the same tensor names,
/// dtypes and shapes as the transformers.js exports of <c>clip-vit-base-patch32</c> (vision
/// <c>pixel_values</c> float[N,3,224,224] → <c>image_embeds</c> float[N,512]; text <c>input_ids</c>
/// int64[N,77] → <c>text_embeds</c> float[N,512]), small seeded random weights, and the real CLIP
/// tokenizer from ../shared. Written with the project's own ONNX writer.
/// </summary>
internal static class SyntheticClip
{
    public const int Dimensions = 512;

    /// <summary>The files of a synthetic model, by path inside the model folder.</summary>
    public static Dictionary<string, byte[]> Files(int seed = 7)
    {
        var rng = new Random(seed);
        return new Dictionary<string, byte[]>
        {
            ["onnx/vision_model.onnx"] = SyntheticTowers.Serialize(SyntheticTowers.Vision("synthetic_clip_vision", "image_embeds", Dimensions, rng)),
            ["onnx/text_model.onnx"] = SyntheticTowers.Serialize(SyntheticTowers.Text("synthetic_clip_text", "text_embeds", Dimensions, 77, rng, fixedLength: false)),
            ["tokenizer.json"] = File.ReadAllBytes(Path.Combine(TestPaths.Shared, "tokenizers", "clip-vit-b32", "tokenizer.json")),
        };
    }

    /// <summary>The catalog's CLIP ViT-B/32 manifest, with these files' sizes and hashes and URLs under <paramref name="urlBase"/>.</summary>
    public static ModelManifest Manifest(IReadOnlyDictionary<string, byte[]> files, string name = "clip-vit-b32", string urlBase = "https://huggingface.co/test/synthetic-clip/resolve/0000000")
    {
        ModelManifest clip = ModelCatalog.ClipVitB32;
        string Sha(string path) => Convert.ToHexStringLower(SHA256.HashData(files[path]));
        return clip with
        {
            Name = name,
            Source = "synthetic test model",
            Image = clip.Image with { File = "onnx/vision_model.onnx", Size = files["onnx/vision_model.onnx"].Length, Sha256 = Sha("onnx/vision_model.onnx") },
            Text = clip.Text! with { File = "onnx/text_model.onnx", Size = files["onnx/text_model.onnx"].Length, Sha256 = Sha("onnx/text_model.onnx") },
            Downloads = files.Keys.Select(path => new DownloadSpec { Path = path, Url = $"{urlBase}/{path}", Size = files[path].Length, Sha256 = Sha(path) }).ToArray(),
        };
    }

    /// <summary>Installs a synthetic model in <paramref name="modelsDirectory"/> as <paramref name="name"/>, with its manifest.</summary>
    public static string Install(string modelsDirectory, string name = "clip-vit-b32", int seed = 7)
    {
        Dictionary<string, byte[]> files = Files(seed);
        string dir = Path.Combine(modelsDirectory, name);
        foreach ((string path, byte[] bytes) in files)
        {
            string target = Path.Combine(dir, path);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.WriteAllBytes(target, bytes);
        }
        ModelFolders.WriteManifest(dir, Manifest(files, name));
        return dir;
    }
}
