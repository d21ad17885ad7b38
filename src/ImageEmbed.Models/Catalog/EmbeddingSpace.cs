using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace ImageEmbed.Models.Catalog;

/// <summary>
/// A short, stable name for the vector space a model's embeddings live in: a hash of the model files,
/// the manifest fields that shape the vectors, and the version of ImageEmbed's preprocessing. Vectors
/// with different fingerprints must not be compared; collections store it and refuse mixtures.
/// </summary>
public static class EmbeddingSpace
{
    /// <summary>
    /// Bumped whenever decoding or preprocessing changes in a way that moves vectors (the resize
    /// pipeline, colour handling), so spaces built before and after never mix silently.
    /// </summary>
    public const int PreprocessingVersion = 1;

    /// <summary>
    /// The shortest-side-and-centre-crop geometry (CLIP): 2 since the resize follows CLIPImageProcessor (the long side
    /// truncated, each axis to its own size, enlargements on pixel centres). Part of the space only for recipes that
    /// crop, so squash models (mobilenet, resnet) keep their spaces and collections.
    /// </summary>
    public const int CropGeometryVersion = 2;

    /// <summary><c>es1-</c> + 16 hex digits (64 bits of SHA-256).</summary>
    /// <remarks>
    /// File hashes come from the manifest when it has them (they are verified at load), else are computed.
    /// An int8 model made by <c>models quantize</c> names its float original's hash (<c>space_sha256</c>):
    /// its vectors were checked to be within cosine 0.999 of the original's, so the two share one space.
    /// </remarks>
    public static string Compute(InstalledModel model)
    {
        ModelManifest m = model.Manifest;
        var text = new StringBuilder();
        text.Append("imageembed-space;preprocessing=").Append(PreprocessingVersion)
            .Append(";dims=").Append(m.Dimensions)
            .Append(";image=").Append(m.Image.SpaceSha256 ?? m.Image.Sha256 ?? HashFile(model.ImageEncoderPath))
            .Append(';').Append(m.Image.Input).Append("->").Append(m.Image.Output)
            .Append(";recipe=").Append(JsonSerializer.Serialize(m.Image.Preprocessing, ModelManifest.JsonOptions));
        if (m.Image.Preprocessing.Resize == Imaging.Preprocess.ResizeMode.ShortestSideCenterCrop)
            text.Append(";crop-geometry=").Append(CropGeometryVersion);
        if (m.Text is { } t)
        {
            text.Append(";text=").Append(t.SpaceSha256 ?? t.Sha256 ?? HashFile(model.TextEncoderPath!))
                .Append(";tokenizer=").Append(HashFile(Path.Combine(model.Directory, t.Tokenizer), t.Tokenizer))
                .Append(";context=").Append(t.ContextLength).Append(';').Append(t.InputIds).Append("->").Append(t.Output);
            // Appended only for tokenizers other than CLIP's, so every space made before the field existed keeps its id.
            if (t.TokenizerType != Tokenizers.TextTokenizers.Clip) text.Append(";tokenizer-type=").Append(t.TokenizerType);
        }
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()));
        return "es1-" + Convert.ToHexStringLower(hash.AsSpan(0, 8));
    }

    private static string HashFile(string path, string? tokenizerName = null)
    {
        // A tokenizer may be named by folder; the file inside is what is hashed.
        if (tokenizerName is not null && Directory.Exists(path)) path = Path.Combine(path, "tokenizer.json");
        using FileStream stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
