using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using ImageEmbed.Imaging.Intake;
using ImageEmbed.Imaging.Preprocess;
using ImageEmbed.Models.Catalog;
using ImageEmbed.Models.Onnx;
using ImageEmbed.Models.Sessions;
using ImageEmbed.Models.Tokenizers;
using Microsoft.ML.OnnxRuntime;

namespace ImageEmbed.ModelTools.Import;

/// <summary>A repository on the Hugging Face hub, as <c>hf:OWNER/REPO[@REVISION]</c> names it.</summary>
public sealed partial record HubReference(string Repository, string Revision)
{
    public const string Scheme = "hf:";

    /// <summary>Parses <c>hf:OWNER/REPO</c> or <c>hf:OWNER/REPO@REVISION</c> (a branch, tag or commit; default <c>main</c>).</summary>
    /// <exception cref="FormatException">Not that form, or a part holds characters the hub does not allow.</exception>
    public static HubReference Parse(string text)
    {
        if (!text.StartsWith(Scheme, StringComparison.Ordinal)) throw new FormatException($"'{text}' does not start with '{Scheme}'.");
        string rest = text[Scheme.Length..];
        int at = rest.IndexOf('@', StringComparison.Ordinal);
        string repo = at < 0 ? rest : rest[..at];
        string revision = at < 0 ? "main" : rest[(at + 1)..];
        if (!RepositoryPattern().IsMatch(repo))
            throw new FormatException($"'{repo}' is not OWNER/REPO (letters, digits, '-', '_' and '.', as the hub allows).");
        if (!RevisionPattern().IsMatch(revision) || revision.Contains("..", StringComparison.Ordinal))
            throw new FormatException($"'{revision}' is not a branch, tag or commit name.");
        return new HubReference(repo, revision);
    }

    public override string ToString() => $"{Scheme}{Repository}@{Revision}";

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")]
    private static partial Regex RepositoryPattern();

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$")]
    private static partial Regex RevisionPattern();
}

/// <summary>How <see cref="HuggingFaceImporter"/> installs a repository.</summary>
public sealed record HubImportOptions
{
    /// <summary>The local model name; null = the repository's name, lower-cased.</summary>
    public string? Name { get; init; }

    public bool Force { get; init; }

    /// <summary>Take the export's 8-bit towers (<c>onnx/*_quantized.onnx</c>) instead of the fp32 ones.</summary>
    public bool Quantized { get; init; }

    /// <summary>Zero-shot <c>exp(logit_scale)</c>, when the repository does not say (SigLIP's are weights, not configuration).</summary>
    public float? LogitScale { get; init; }

    /// <summary>Zero-shot <c>logit_bias</c> (SigLIP), as <see cref="LogitScale"/>.</summary>
    public float? LogitBias { get; init; }
}

/// <summary>
/// Installs a CLIP or SigLIP model from a Hugging Face repository laid out as transformers.js exports are
/// (<c>config.json</c>, <c>preprocessor_config.json</c>, <c>tokenizer.json</c>, <c>onnx/vision_model.onnx</c>,
/// <c>onnx/text_model.onnx</c>): resolves the revision to a commit, writes the manifest from the configuration
/// (recipe, dimensions, context length, tokenizer, scoring) pinned to that commit with every file's size and
/// sha256, downloads through <see cref="ModelPuller"/> (resumable, checked), reads the tensor names from the
/// graphs, opens both towers, and only then installs.
/// </summary>
/// <remarks>
/// The hub's API (<c>/api/models/REPO/revision/REV?blobs=true</c>) gives the commit and, for files kept in LFS
/// (the ONNX files), their sha256; small files kept in git are fetched first and hashed here.
/// <c>IMAGEEMBED_MODEL_MIRROR</c> replaces <c>https://huggingface.co</c> for all of it.
/// </remarks>
public sealed class HuggingFaceImporter(HttpClient http, string modelsDirectory, string? mirror = null)
{
    /// <summary>Model types this importer knows how to run.</summary>
    public static IReadOnlyList<string> SupportedTypes { get; } = ["clip", "siglip"];

    private const int MaxConfigBytes = 1 << 20;
    private const int MaxSmallFileBytes = 64 << 20;

    /// <summary>
    /// Zero-shot calibrations of published SigLIP checkpoints, by the <c>_name_or_path</c> a transformers.js
    /// export's <c>config.json</c> keeps (docs/MODELS.md says where each was read).
    /// </summary>
    private static readonly Dictionary<string, (float Scale, float Bias)> KnownSiglipCalibrations = new(StringComparer.OrdinalIgnoreCase)
    {
        ["google/siglip-base-patch16-224"] = (117.330795f, -12.932437f),
    };

    private readonly ModelPuller _puller = new(http, modelsDirectory, mirror);

    /// <exception cref="ModelDownloadException">The repository cannot be read, is not a supported export, or a download failed.</exception>
    public async Task<InstalledModel> ImportAsync(HubReference reference, HubImportOptions options, IProgress<PullProgress>? progress, CancellationToken ct)
    {
        string name = options.Name ?? reference.Repository[(reference.Repository.IndexOf('/', StringComparison.Ordinal) + 1)..].ToLowerInvariant();
        if (!ModelFolders.IsPlainName(name))
            throw new ModelDownloadException($"'{name}' is not a plain folder name to install the model as; choose one with --name.");
        RepositoryInfo repo = await ReadRepositoryAsync(reference, ct).ConfigureAwait(false);
        string suffix = options.Quantized ? "_quantized" : "";
        string vision = $"onnx/vision_model{suffix}.onnx", text = $"onnx/text_model{suffix}.onnx";
        string[] missing = new[] { "config.json", "preprocessor_config.json", "tokenizer.json", vision, text }.Where(f => !repo.Files.ContainsKey(f)).ToArray();
        if (missing.Length > 0)
        {
            string onnx = string.Join(", ", repo.Files.Keys.Where(f => f.StartsWith("onnx/", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
            throw new ModelDownloadException($"{reference} is not a transformers.js-style export ImageEmbed can install: it has no {string.Join(", ", missing)}" +
                (onnx.Length > 0 ? $" (its ONNX files: {onnx}{(options.Quantized ? "" : "; --quantized takes the *_quantized towers")})." : " (and no onnx/ folder)."));
        }

        var fetched = new Dictionary<string, byte[]>(StringComparer.Ordinal); // small files, read once: parsed here, staged below
        using JsonDocument config = await ReadJsonAsync(repo, reference, "config.json", fetched, ct).ConfigureAwait(false);
        using JsonDocument preprocessor = await ReadJsonAsync(repo, reference, "preprocessor_config.json", fetched, ct).ConfigureAwait(false);
        string type = String(config.RootElement, "model_type") ?? "";
        if (!SupportedTypes.Contains(type))
            throw new ModelDownloadException($"{reference}: model_type '{type}' in config.json is not supported; ImageEmbed runs {string.Join(" and ", SupportedTypes)} exports (a pair of image and text towers).");

        // Everything the configuration decides is checked before anything is written.
        bool siglip = type == "siglip";
        ImagePreprocessing recipe = Recipe(reference, siglip, preprocessor.RootElement);
        if (recipe.Validate($"{reference}: preprocessor_config.json").FirstOrDefault() is string badRecipe) throw new ModelDownloadException(badRecipe);
        (float Scale, float Bias) calibration = siglip ? SiglipCalibration(reference, config.RootElement, options) : (options.LogitScale ?? 100f, options.LogitBias ?? 0f);

        string staging = ModelFolders.Staging(modelsDirectory, name);
        if (Directory.Exists(Path.Combine(modelsDirectory, name)) && !options.Force)
            throw new ModelDownloadException($"Model '{name}' is already installed in {Path.Combine(modelsDirectory, name)}. Use --force to replace it, or --name to install this one beside it.");
        Directory.CreateDirectory(staging);

        var downloads = new List<DownloadSpec>();
        foreach (string file in new[] { vision, text, "tokenizer.json", "tokenizer_config.json", "config.json", "preprocessor_config.json" })
        {
            if (!repo.Files.TryGetValue(file, out RepositoryFile? info)) continue; // only tokenizer_config.json is optional here
            string sha256 = info.Sha256 ?? await StageSmallFileAsync(repo, reference, file, staging, fetched, ct).ConfigureAwait(false);
            downloads.Add(new DownloadSpec { Path = file, Url = HubUrl(reference.Repository, repo.Commit, file), Size = info.Size, Sha256 = sha256 });
        }

        ModelManifest manifest = BuildManifest(reference, repo, name, siglip, config.RootElement, recipe, calibration, vision, text, downloads, options.Quantized);
        string[] problems = manifest.Validate().ToArray();
        if (problems.Length > 0) throw new ModelDownloadException($"{reference}: {string.Join(" ", problems)}");

        ModelManifest? final = null;
        string installed = await _puller.PullAsync(manifest, options.Force, progress, ct, complete: folder => final = FromGraphs(reference, manifest, folder)).ConfigureAwait(false);
        return new InstalledModel(final!, installed);
    }

    private static ModelManifest BuildManifest(HubReference reference, RepositoryInfo repo, string name, bool siglip, JsonElement config, ImagePreprocessing recipe,
        (float Scale, float Bias) calibration, string vision, string text, List<DownloadSpec> downloads, bool quantized)
    {
        JsonElement textConfig = Object(config, "text_config"), visionConfig = Object(config, "vision_config");
        int dimensions = siglip ? Int(textConfig, "hidden_size") ?? 768 : Int(config, "projection_dim") ?? 512;
        if (siglip && Int(visionConfig, "hidden_size") is int v && v != dimensions)
            throw new ModelDownloadException($"{reference}: config.json gives the text tower {dimensions} dimensions and the image tower {v}; a shared space needs one size.");
        int context = Int(textConfig, "max_position_embeddings") ?? (siglip ? 64 : 77);
        DownloadSpec Spec(string path) => downloads.First(d => d.Path == path);
        return new ModelManifest
        {
            Name = name,
            Dimensions = dimensions,
            Description = $"{(siglip ? "SigLIP" : "CLIP")} export {reference.Repository}{(quantized ? " (8-bit towers)" : "")}, installed with 'models pull hf:'.",
            License = repo.License,
            Source = $"huggingface.co/{reference.Repository} at {repo.Commit}",
            Image = new ImageEncoderSpec
            {
                File = vision, Size = Spec(vision).Size, Sha256 = Spec(vision).Sha256,
                Input = "pixel_values", Output = siglip ? "pooler_output" : "image_embeds", // read from the graph once downloaded
                Preprocessing = recipe,
            },
            Text = new TextEncoderSpec
            {
                File = text, Size = Spec(text).Size, Sha256 = Spec(text).Sha256,
                InputIds = "input_ids", Output = siglip ? "pooler_output" : "text_embeds",
                ContextLength = context,
                TokenizerType = siglip ? TextTokenizers.Siglip : TextTokenizers.Clip,
                LogitScale = calibration.Scale,
                LogitBias = calibration.Bias,
                Scoring = siglip ? "sigmoid" : "softmax",
                PromptTemplate = siglip ? "This is a photo of {label}." : "a photo of a {label}",
            },
            Downloads = downloads,
        };
    }

    private static (float Scale, float Bias) SiglipCalibration(HubReference reference, JsonElement config, HubImportOptions options)
    {
        if (options.LogitScale is float scale && options.LogitBias is float bias) return (scale, bias);
        string? basedOn = String(config, "_name_or_path");
        if (options.LogitScale is null && options.LogitBias is null && basedOn is not null && KnownSiglipCalibrations.TryGetValue(basedOn, out var known))
            return known;
        throw new ModelDownloadException(
            $"{reference} is a SigLIP model whose zero-shot logit scale and bias are weights, not configuration, and ImageEmbed does not know " +
            $"them for '{basedOn ?? reference.Repository}'. Give both: --logit-scale X --logit-bias Y (with Transformers: " +
            "model.logit_scale.exp().item() and model.logit_bias.item()).");
    }

    /// <summary>The image recipe from <c>preprocessor_config.json</c>: CLIP's shortest side + centre crop, SigLIP's squash.</summary>
    private static ImagePreprocessing Recipe(HubReference reference, bool siglip, JsonElement p)
    {
        string kernel = (Int(p, "resample") ?? 3) switch
        {
            3 => "cubic",    // PIL bicubic
            2 => "linear",   // PIL bilinear
            1 => "lanczos3", // PIL Lanczos
            int other => throw new ModelDownloadException($"{reference}: preprocessor_config.json's resample {other} is not one ImageEmbed reproduces (bilinear 2, bicubic 3, Lanczos 1)."),
        };
        bool normalize = Bool(p, "do_normalize") ?? true, rescale = Bool(p, "do_rescale") ?? true;
        float[] mean = normalize ? Floats(reference, p, "image_mean") : [0f, 0f, 0f];
        float[] std = normalize ? Floats(reference, p, "image_std") : [1f, 1f, 1f];
        float scale = rescale ? (float)(Double(p, "rescale_factor") ?? 1 / 255.0) : 1f;

        (int width, int height, ResizeMode mode) = siglip ? SquashSize(reference, p) : CropSize(reference, p);
        return new ImagePreprocessing { Width = width, Height = height, Resize = mode, Kernel = kernel, Scale = scale, Mean = mean, Std = std, Layout = TensorLayout.Nchw };
    }

    private static (int, int, ResizeMode) SquashSize(HubReference reference, JsonElement p)
    {
        JsonElement size = p.TryGetProperty("size", out JsonElement s) ? s : default;
        if (size.ValueKind == JsonValueKind.Number) return (size.GetInt32(), size.GetInt32(), ResizeMode.Squash);
        if (size.ValueKind == JsonValueKind.Object && Int(size, "height") is int h && Int(size, "width") is int w) return (w, h, ResizeMode.Squash);
        throw new ModelDownloadException($"{reference}: preprocessor_config.json has no size {{height, width}} for SigLIP's square resize.");
    }

    private static (int, int, ResizeMode) CropSize(HubReference reference, JsonElement p)
    {
        JsonElement size = p.TryGetProperty("size", out JsonElement s) ? s : default;
        int? shortest = size.ValueKind == JsonValueKind.Number ? size.GetInt32() : size.ValueKind == JsonValueKind.Object ? Int(size, "shortest_edge") : null;
        JsonElement crop = p.TryGetProperty("crop_size", out JsonElement c) ? c : default;
        (int? w, int? h) = crop.ValueKind == JsonValueKind.Number ? (crop.GetInt32(), crop.GetInt32()) : crop.ValueKind == JsonValueKind.Object ? (Int(crop, "width"), Int(crop, "height")) : (shortest, shortest);
        if (shortest is null || w is null || h is null || w != h || w != shortest || Bool(p, "do_center_crop") == false)
            throw new ModelDownloadException($"{reference}: preprocessor_config.json describes a resize ImageEmbed does not reproduce for CLIP (it runs shortest side N then an N×N centre crop).");
        return (w.Value, h.Value, ResizeMode.ShortestSideCenterCrop);
    }

    /// <summary>The manifest with the tensor names the downloaded graphs have; both towers and the tokenizer are opened to prove they run.</summary>
    private static ModelManifest FromGraphs(HubReference reference, ModelManifest manifest, string folder)
    {
        try
        {
            ImageEncoderSpec image = manifest.Image;
            TextEncoderSpec text = manifest.Text!;
            var settings = new OrtSessionSettings { IntraOpThreads = 1 };
            using (var session = new OrtSession(Path.Combine(folder, image.File), settings))
            {
                OrtTensorInfo input = session.Inputs.Count == 1 ? session.Inputs[0]
                    : throw new ModelLoadException($"the image tower takes {session.Inputs.Count} inputs ({string.Join(", ", session.Inputs)}); one float image tensor is expected.");
                image = image with { Input = input.Name, Output = Pick(session.Outputs, "image_embeds", "pooler_output", "image tower") };
            }
            using (var session = new OrtSession(Path.Combine(folder, text.File), settings))
            {
                string? mask = session.Inputs.Any(i => i.Name == "attention_mask") ? "attention_mask" : null;
                text = text with { AttentionMask = mask, Output = Pick(session.Outputs, "text_embeds", "pooler_output", "text tower") };
            }
            ModelManifest result = manifest with { Image = image, Text = text };
            var model = new InstalledModel(result, folder);
            using (new ImageEncoder(model, settings, verifyChecksums: false)) { }
            using (new TextEncoder(model, settings)) { }
            return result;
        }
        catch (Exception e) when (e is ModelLoadException or OnnxRuntimeException)
        {
            throw new ModelDownloadException($"{reference}: the downloaded model does not run as a {manifest.Text!.TokenizerType.ToUpperInvariant()} pair of towers: {e.Message} Nothing was installed.", e);
        }
    }

    private static string Pick(IReadOnlyList<OrtTensorInfo> outputs, string projected, string pooled, string tower) =>
        outputs.FirstOrDefault(o => o.Name == projected)?.Name ?? outputs.FirstOrDefault(o => o.Name == pooled)?.Name
        ?? throw new ModelLoadException($"the {tower} has no output '{projected}' or '{pooled}' (it has {string.Join(", ", outputs)}).");

    private sealed record RepositoryFile(long Size, string? Sha256);

    private sealed record RepositoryInfo(string Commit, IReadOnlyDictionary<string, RepositoryFile> Files, string? License);

    private async Task<RepositoryInfo> ReadRepositoryAsync(HubReference reference, CancellationToken ct)
    {
        string url = _puller.Mirrored($"{ModelPuller.DefaultOrigin}/api/models/{reference.Repository}/revision/{Uri.EscapeDataString(reference.Revision)}?blobs=true");
        byte[] body = await GetAsync(reference, url, MaxConfigBytes * 8, ct).ConfigureAwait(false);
        try
        {
            using JsonDocument document = JsonDocument.Parse(body);
            JsonElement root = document.RootElement;
            string commit = String(root, "sha") is { Length: 40 } sha && sha.All(char.IsAsciiHexDigitLower) ? sha
                : throw new ModelDownloadException($"{reference}: the hub's answer has no commit id (sha).");
            var files = new Dictionary<string, RepositoryFile>(StringComparer.Ordinal);
            if (root.TryGetProperty("siblings", out JsonElement siblings) && siblings.ValueKind == JsonValueKind.Array)
            {
                foreach (JsonElement sibling in siblings.EnumerateArray())
                {
                    if (String(sibling, "rfilename") is not string path) continue;
                    JsonElement lfs = Object(sibling, "lfs");
                    string? sha256 = String(lfs, "sha256") is { Length: 64 } h && h.All(char.IsAsciiHexDigit) ? h.ToLowerInvariant() : null;
                    long size = Long(lfs, "size") ?? Long(sibling, "size") ?? -1;
                    if (size >= 0) files[path] = new RepositoryFile(size, sha256);
                }
            }
            string? license = Object(root, "cardData") is { ValueKind: JsonValueKind.Object } card ? String(card, "license") : null;
            return new RepositoryInfo(commit, files, license);
        }
        catch (JsonException e)
        {
            throw new ModelDownloadException($"{reference}: the hub's answer from {url} is not JSON ({e.Message}).", e);
        }
    }

    private async Task<JsonDocument> ReadJsonAsync(RepositoryInfo repo, HubReference reference, string file, Dictionary<string, byte[]> fetched, CancellationToken ct)
    {
        byte[] body = await FetchAsync(repo, reference, file, MaxConfigBytes, fetched, ct).ConfigureAwait(false);
        try
        {
            JsonDocument document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object) return document;
            document.Dispose();
            throw new ModelDownloadException($"{reference}: {file} is not a JSON object.");
        }
        catch (JsonException e)
        {
            throw new ModelDownloadException($"{reference}: {file} is not valid JSON ({e.Message}).", e);
        }
    }

    /// <summary>Fetches a file kept in git (no LFS hash on the hub) into the staging folder and returns its sha256; the puller then finds it complete.</summary>
    private async Task<string> StageSmallFileAsync(RepositoryInfo repo, HubReference reference, string file, string staging, Dictionary<string, byte[]> fetched, CancellationToken ct)
    {
        byte[] body = await FetchAsync(repo, reference, file, MaxSmallFileBytes, fetched, ct).ConfigureAwait(false);
        if (body.Length != repo.Files[file].Size)
            throw new ModelDownloadException($"{reference}: {file} is {body.Length:N0} bytes; the hub lists {repo.Files[file].Size:N0}.");
        string path = Path.Combine(staging, file);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllBytesAsync(path, body, ct).ConfigureAwait(false);
        return Convert.ToHexStringLower(SHA256.HashData(body));
    }

    /// <summary>A file of the repository at the resolved commit, fetched once per import (<paramref name="fetched"/> keeps it).</summary>
    private async Task<byte[]> FetchAsync(RepositoryInfo repo, HubReference reference, string file, int maxBytes, Dictionary<string, byte[]> fetched, CancellationToken ct)
    {
        if (!fetched.TryGetValue(file, out byte[]? body))
            fetched[file] = body = await GetAsync(reference, _puller.Mirrored(HubUrl(reference.Repository, repo.Commit, file)), maxBytes, ct).ConfigureAwait(false);
        return body;
    }

    private async Task<byte[]> GetAsync(HubReference reference, string url, int maxBytes, CancellationToken ct)
    {
        try
        {
            using HttpResponseMessage response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            if (response.StatusCode is HttpStatusCode.NotFound)
                throw new ModelDownloadException($"{reference}: not found at {url} (404). Check the repository name and revision.");
            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                throw new ModelDownloadException($"{reference}: {url} answered {(int)response.StatusCode}; private and gated repositories are not supported (download the files and install them by hand).");
            if (!response.IsSuccessStatusCode)
                throw new ModelDownloadException($"{reference}: {url} answered {(int)response.StatusCode} {response.ReasonPhrase}.");
            await using Stream stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            return await CappedReader.ReadAsync(stream, response.Content.Headers.ContentLength, maxBytes, ct).ConfigureAwait(false);
        }
        catch (ImagePayloadTooLargeException)
        {
            throw new ModelDownloadException($"{reference}: {url} is over the {maxBytes:N0} bytes expected; refused.");
        }
        catch (HttpRequestException e)
        {
            throw new ModelDownloadException($"{reference}: could not reach {url}: {e.Message}. Offline, or the hub is blocked? Set IMAGEEMBED_MODEL_MIRROR to a mirror of {ModelPuller.DefaultOrigin}.", e);
        }
    }

    private static string HubUrl(string repository, string commit, string path) => $"{ModelPuller.DefaultOrigin}/{repository}/resolve/{commit}/{path}";

    private static JsonElement Object(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.Object ? v : default;

    private static string? String(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static int? Int(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) ? i : null;

    private static long? Long(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long i) ? i : null;

    private static double? Double(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    private static bool? Bool(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out JsonElement v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;

    private static float[] Floats(HubReference reference, JsonElement e, string name)
    {
        if (e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.Array && v.GetArrayLength() == 3 && v.EnumerateArray().All(x => x.ValueKind == JsonValueKind.Number))
            return v.EnumerateArray().Select(x => (float)x.GetDouble()).ToArray();
        if (e.TryGetProperty(name, out v) && v.ValueKind == JsonValueKind.Number) return [(float)v.GetDouble(), (float)v.GetDouble(), (float)v.GetDouble()];
        throw new ModelDownloadException($"{reference}: preprocessor_config.json's {name} is not three numbers.");
    }
}
