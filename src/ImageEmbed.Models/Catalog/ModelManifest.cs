using System.Text.Json;
using System.Text.Json.Serialization;
using ImageEmbed.Imaging.Preprocess;

namespace ImageEmbed.Models.Catalog;

/// <summary>
/// Everything needed to run a model: its files, their checksums, the tensor names and the
/// preprocessing recipe. Stored as <c>imageembed.json</c> in the model's folder, or built into the catalog.
/// </summary>
public sealed record ModelManifest
{
    public required string Name { get; init; }

    /// <summary>Length of the embeddings the model produces.</summary>
    public required int Dimensions { get; init; }

    public string? Description { get; init; }
    public string? License { get; init; }

    /// <summary>Where the files come from, for people (a package, a repository and revision).</summary>
    public string? Source { get; init; }

    /// <summary>
    /// True when the model was trained so that a prefix of its embedding is itself a good embedding
    /// (Matryoshka representation learning): only then are requests for fewer <c>dimensions</c> accepted.
    /// </summary>
    public bool Matryoshka { get; init; }

    /// <summary>
    /// Default cosine at or above which two of this model's image embeddings count as "visually similar"
    /// duplicates; null = <see cref="ModelCatalog.DuplicateThreshold"/>'s fallback. Calibrated per model
    /// (docs/DUPLICATES.md): how close copies land depends on how invariant the model's features are.
    /// Not part of the embedding space: it is advice about the vectors, not what shapes them.
    /// </summary>
    public float? DuplicateThreshold { get; init; }

    public required ImageEncoderSpec Image { get; init; }

    /// <summary>The text tower of a CLIP-family model; null for image-only models.</summary>
    public TextEncoderSpec? Text { get; init; }

    /// <summary>Files to fetch for <c>imageembed models pull</c>, each with its size and sha256. Empty for models installed by other means.</summary>
    public IReadOnlyList<DownloadSpec> Downloads { get; init; } = [];

    /// <summary>What the model embeds: <c>image</c>, plus <c>text</c> with a text tower.</summary>
    [JsonIgnore]
    public string[] Modalities => Text is null ? ["image"] : ["image", "text"];

    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
        AllowTrailingCommas = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
    };

    /// <summary>Problems with this manifest; empty when it is usable.</summary>
    public IEnumerable<string> Validate()
    {
        string owner = $"model '{Name}'";
        if (string.IsNullOrWhiteSpace(Name) || Name.Contains('/') || Name.Contains('\\') || Name.StartsWith('.'))
            yield return $"{owner}: name must be a plain folder name.";
        if (Dimensions <= 0) yield return $"{owner}: dimensions must be positive.";
        if (DuplicateThreshold is < 0 or > 1 || DuplicateThreshold is float t && float.IsNaN(t))
            yield return $"{owner}: duplicate_threshold must be within 0..1 (was {DuplicateThreshold}).";
        if (string.IsNullOrWhiteSpace(Image.File) || string.IsNullOrWhiteSpace(Image.Input) || string.IsNullOrWhiteSpace(Image.Output))
            yield return $"{owner}: image.file, image.input and image.output are required.";
        foreach (string p in Image.Preprocessing.Validate(owner)) yield return p;
        if (Text is { } text)
        {
            if (!Tokenizers.TextTokenizers.Known.Contains(text.TokenizerType))
                yield return $"{owner}: text.tokenizer_type '{text.TokenizerType}' is not one of {string.Join(", ", Tokenizers.TextTokenizers.Known)}.";
            if (text.Scoring is not ("softmax" or "sigmoid"))
                yield return $"{owner}: text.scoring '{text.Scoring}' is not softmax or sigmoid.";
            if (text.ContextLength is < 2 or > 4096) yield return $"{owner}: text.context_length must be within 2..4096 (was {text.ContextLength}).";
        }
        foreach (DownloadSpec d in Downloads)
        {
            if (d.Path.Length == 0 || d.Path.StartsWith('/') || d.Path.Split('/').Any(part => part is "" or "." or ".."))
                yield return $"{owner}: download path '{d.Path}' must be relative, inside the model folder.";
            if (!d.Url.StartsWith("https://", StringComparison.Ordinal)) yield return $"{owner}: download URL '{d.Url}' must be https.";
            if (d.Sha256.Length != 64) yield return $"{owner}: download '{d.Path}' needs a 64-hex-digit sha256.";
        }
    }
}

/// <summary>One file of a model: where it goes in the model folder, where it comes from, and what it must hash to.</summary>
public sealed record DownloadSpec
{
    /// <summary>Path inside the model folder, with '/' separators.</summary>
    public required string Path { get; init; }

    /// <summary>Absolute https URL, pinned to a revision.</summary>
    public required string Url { get; init; }

    public required long Size { get; init; }

    /// <summary>Lower-case hex sha256 of the file.</summary>
    public required string Sha256 { get; init; }
}

/// <summary>The image tower: an ONNX file taking one float image tensor and giving one embedding per image.</summary>
public sealed record ImageEncoderSpec
{
    /// <summary>ONNX file, relative to the model folder.</summary>
    public required string File { get; init; }

    /// <summary>Lower-case hex sha256 of <see cref="File"/>; verified on load when given.</summary>
    public string? Sha256 { get; init; }

    public long? Size { get; init; }

    /// <summary>
    /// Set on a model made by <c>imageembed models quantize</c> whose parity was checked: the sha256 of the
    /// float file it was made from, which the embedding space is computed from instead of this file's, so
    /// its vectors share that model's space (see <see cref="EmbeddingSpace"/>). Null for every other model.
    /// </summary>
    public string? SpaceSha256 { get; init; }

    public required string Input { get; init; }
    public required string Output { get; init; }
    public required ImagePreprocessing Preprocessing { get; init; }
}

/// <summary>The text tower of a CLIP-family model.</summary>
public sealed record TextEncoderSpec
{
    public required string File { get; init; }
    public string? Sha256 { get; init; }
    public long? Size { get; init; }

    /// <summary>As <see cref="ImageEncoderSpec.SpaceSha256"/>, for the text tower.</summary>
    public string? SpaceSha256 { get; init; }

    public required string InputIds { get; init; }
    public string? AttentionMask { get; init; }
    public required string Output { get; init; }

    /// <summary>Fixed token length every text is padded to (77 for CLIP).</summary>
    public int ContextLength { get; init; } = 77;

    /// <summary>Folder or <c>tokenizer.json</c> path, relative to the model folder.</summary>
    public string Tokenizer { get; init; } = "tokenizer.json";

    /// <summary>
    /// <c>clip</c> (byte-level BPE with start and end tokens) or <c>siglip</c> (SentencePiece Unigram with SigLIP's
    /// text canonicalization and an end token only); see <see cref="Tokenizers.TextTokenizers"/>.
    /// </summary>
    public string TokenizerType { get; init; } = Tokenizers.TextTokenizers.Clip;

    /// <summary>Multiplier on cosine similarity for zero-shot scores (CLIP: 100, the learned temperature).</summary>
    public float LogitScale { get; init; } = 100f;

    /// <summary>Added to scaled similarities before the sigmoid (SigLIP); 0 for CLIP.</summary>
    public float LogitBias { get; init; }

    /// <summary><c>softmax</c> over the labels (CLIP) or an independent <c>sigmoid</c> per label (SigLIP).</summary>
    public string Scoring { get; init; } = "softmax";

    /// <summary>Zero-shot prompt; <c>{label}</c> is replaced by each label.</summary>
    public string PromptTemplate { get; init; } = "a photo of a {label}";
}
