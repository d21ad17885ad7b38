using System.Text.Json;
using ImageEmbed.Cli.Infrastructure;
using ImageEmbed.Models;
using ImageEmbed.Models.Catalog;
using ImageEmbed.ModelTools.Import;

namespace ImageEmbed.Cli.Commands;

/// <summary><c>imageembed models list|info|pull|import-tfjs</c>.</summary>
internal static class ModelsCommand
{
    private static readonly OptionSpec Force = new("force", "f", null, "With pull, import-tfjs or quantize: replace the model if it is installed.");
    private static readonly OptionSpec Name = new("name", "n", "NAME", "With import-tfjs (required) or pull hf:...: the name to install the model as.");
    private static readonly OptionSpec Quantized = new("quantized", null, null, "With pull hf:...: take the export's 8-bit towers (onnx/*_quantized.onnx).");
    private static readonly OptionSpec LogitScale = new("logit-scale", null, "X", "With pull hf:...: zero-shot scale, exp(logit_scale) (SigLIP models ImageEmbed does not know; CLIP: 100).");
    private static readonly OptionSpec LogitBias = new("logit-bias", null, "Y", "With pull hf:...: zero-shot bias (SigLIP's logit_bias), given with --logit-scale.");
    private static readonly OptionSpec As = new("as", null, "NEWNAME", "With quantize: the name of the int8 model (default NAME-int8).");
    private static readonly OptionSpec Images = new("images", "i", "DIR", "With quantize: images for the parity check (default: 16 built-in synthetic images).");
    private static readonly OptionSpec MinCosine = new("min-cosine", null, "X", "With quantize: the lowest cosine to the original, per image or text, that is accepted (default 0.999).");
    private static readonly OptionSpec Seconds = new("seconds", "s", "N", "With quantize: seconds to time both models for (default 3; 0 skips the timing).");

    public static readonly CommandSpec Spec = new(
        "models",
        "List, inspect and install models.",
        "models list | models info NAME | models pull NAME [--force] | models pull hf:OWNER/REPO[@REVISION] [--name NAME] [--quantized] [--logit-scale X --logit-bias Y] [--force] | models import-tfjs DIR --name NAME [--force] | models quantize NAME [--as NEWNAME] [--images DIR] [--min-cosine 0.999] [--seconds N] [--force]",
        [Force, Name, Quantized, LogitScale, LogitBias, As, Images, MinCosine, Seconds],
        """
        Subcommands:
          list        Installed models (in IMAGEEMBED_MODELS_DIR) and the catalog of known models.
          info NAME   The manifest of an installed or known model, as JSON ('default' works too).
          pull NAME   Download a catalog model: resumes an interrupted download, checks every file's
                      size and sha256, and installs the folder only when all of it is right.
                      mobilenet-v2-140 comes from the npm tarball of nsfwjs@4.3.0 (sha512-pinned,
                      IMAGEEMBED_NPM_REGISTRY to use another registry) and is converted to ONNX here.
                      IMAGEEMBED_MODEL_MIRROR points downloads at a mirror of huggingface.co.
          pull hf:OWNER/REPO[@REVISION]
                      Install a CLIP or SigLIP export laid out as transformers.js ones are (config.json,
                      preprocessor_config.json, tokenizer.json, onnx/vision_model.onnx, onnx/text_model.onnx),
                      e.g. hf:Xenova/clip-vit-large-patch14 or your own fine-tuned export. The revision (default
                      main) is resolved to a commit; the manifest records it with every file's size and sha256,
                      and the recipe, dimensions, context length and tokenizer the configuration gives. Both
                      towers are opened before the model is installed. Other model types, and repositories
                      missing a file, are refused with the reason. --name NAME (default: the repository's
                      name), --quantized for the *_quantized towers. SigLIP's zero-shot scale and bias are
                      weights, not configuration: known for exports of google/siglip-base-patch16-224,
                      otherwise give --logit-scale and --logit-bias.
          import-tfjs DIR --name NAME
                      Convert a TensorFlow.js graph model (model.json + shards, or the nsfwjs bundle)
                      to ONNX and install it as NAME. 'mobilenet-v2-140' gets the catalog's recipe;
                      other names a squash resize at the graph's input size, RGB/255, NHWC.
                      (The offline default on first start is resnet18-imagenet, from a NuGet package.)
          quantize NAME [--as NEWNAME]
                      Install an int8 variant of an installed model (default name NAME-int8): every
                      MatMul with a constant weight matrix becomes ONNX Runtime's dynamic int8 pattern
                      (weights int8 per output column, activations quantized per run); Conv layers and
                      the rest of the graph stay as they are; the text tower too when there is one.
                      Then embeds sample images (--images DIR, or 16 built-in synthetic ones) and, for
                      a text tower, 8 texts with both models, prints the mean and min cosine and both
                      models' speed, and installs the variant only if the min cosine is at least
                      --min-cosine. At 0.999 or above the variant shares the original's embedding
                      space (space_sha256 in its manifest): collections and the content cache take
                      vectors from either. Exit code 1 when refused (nothing to quantize, parity).

        To install a model by hand (an offline machine): create IMAGEEMBED_MODELS_DIR/NAME/, put the
        model's files there (the paths 'models info NAME' lists under downloads), and save the manifest
        that 'models info NAME' prints as imageembed.json in that folder.
        """);


    public static async Task<int> RunAsync(ParsedArgs args, CancellationToken ct)
    {
        string sub = args.Positionals.Count > 0 ? args.Positionals[0] : "list";
        ModelsOptions options = Settings.Models();
        var registry = new ModelRegistry(options);
        switch (sub)
        {
            case "list":
                IReadOnlyList<InstalledModel> installed = registry.ListInstalled();
                Console.WriteLine($"Models directory: {registry.ModelsDirectory}");
                Console.WriteLine($"Default model:    {registry.DefaultModel}");
                Console.WriteLine();
                Console.WriteLine($"{"NAME",-28} {"DIMS",5}  {"TEXT",-4}  {"STATUS",-10} DESCRIPTION");
                foreach (ModelManifest m in installed.Select(i => i.Manifest).Concat(ModelCatalog.Known.Values.Where(k => installed.All(i => i.Name != k.Name))))
                {
                    string status = installed.Any(i => i.Name == m.Name) ? "installed" : "available";
                    Console.WriteLine($"{m.Name,-28} {m.Dimensions,5}  {(m.Text is null ? "no" : "yes"),-4}  {status,-10} {m.Description}");
                }
                return 0;
            case "info":
                if (args.Positionals.Count < 2) throw new UsageException("Name the model: imageembed models info NAME");
                string name = registry.ResolveName(args.Positionals[1]);
                ModelManifest manifest = registry.ListInstalled().FirstOrDefault(i => i.Name == name)?.Manifest
                    ?? (ModelCatalog.Known.TryGetValue(name, out ModelManifest? known) ? known : throw new UnknownModelException(name, registry.ListInstalled().Select(i => i.Name)));
                Console.WriteLine(JsonSerializer.Serialize(manifest, ModelManifest.JsonOptions));
                return 0;
            case "pull":
                if (args.Positionals.Count < 2) throw new UsageException("Name the model: imageembed models pull NAME (see 'imageembed models list'), or hf:OWNER/REPO.");
                if (args.Positionals[1].StartsWith(HubReference.Scheme, StringComparison.Ordinal))
                    return await PullFromHubAsync(args, options, ct).ConfigureAwait(false);
                string wanted = registry.ResolveName(args.Positionals[1]);
                if (!ModelCatalog.Known.TryGetValue(wanted, out ModelManifest? entry))
                    throw new UsageException($"'{wanted}' is not in the catalog. Known: {string.Join(", ", ModelCatalog.Known.Keys)}.");
                using (HttpClient http = DownloadClient())
                {
                    if (wanted == ModelCatalog.MobileNetV2_140.Name)
                    {
                        try
                        {
                            InstalledModel built = await NsfwjsPackage.PullMobileNetAsync(http, options.Directory, options.NpmRegistry, args.Has("force"), ct).ConfigureAwait(false);
                            Console.Error.WriteLine($"installed {built.Name} ({built.Manifest.Dimensions}-d) in {built.Directory}, converted from npm nsfwjs@4.3.0");
                            return 0;
                        }
                        catch (Exception e) when (e is ModelDownloadException or ModelLoadException)
                        {
                            Console.Error.WriteLine($"error: {e.Message}");
                            return 1;
                        }
                    }
                    var puller = new ModelPuller(http, options.Directory, options.Mirror.Length > 0 ? options.Mirror : null);
                    var bar = new ByteProgressBar(Console.Error, interactive: !Console.IsErrorRedirected);
                    try
                    {
                        string dir = await puller.PullAsync(entry, args.Has("force"), bar, ct).ConfigureAwait(false);
                        bar.Finish();
                        Console.Error.WriteLine($"installed {entry.Name} ({entry.Dimensions}-d) in {dir}");
                    }
                    catch (ModelDownloadException e)
                    {
                        bar.Finish();
                        Console.Error.WriteLine($"error: {e.Message}");
                        return 1;
                    }
                }
                return 0;
            case "import-tfjs":
                if (args.Positionals.Count < 2) throw new UsageException("Give the TensorFlow.js model folder: imageembed models import-tfjs DIR --name NAME");
                string installAs = args.Get("name") ?? throw new UsageException("Give the name to install it as: --name NAME");
                if (!Directory.Exists(args.Positionals[1])) throw new UsageException($"No such folder: {args.Positionals[1]}");
                try
                {
                    InstalledModel model = TfjsModelInstaller.Install(args.Positionals[1], installAs, options.Directory, args.Has("force"));
                    Console.Error.WriteLine($"installed {model.Name} ({model.Manifest.Dimensions}-d) in {model.Directory}");
                    return 0;
                }
                catch (TfjsImportException e)
                {
                    Console.Error.WriteLine($"error: {e.Message}");
                    return 1;
                }
            case "quantize":
                return await ModelQuantize.RunAsync(args, options, registry, ct).ConfigureAwait(false);
            default:
                throw new UsageException($"Unknown subcommand 'models {sub}'. See 'imageembed models --help'.");
        }
    }

    private static async Task<int> PullFromHubAsync(ParsedArgs args, ModelsOptions options, CancellationToken ct)
    {
        HubReference reference;
        try
        {
            reference = HubReference.Parse(args.Positionals[1]);
        }
        catch (FormatException e)
        {
            throw new UsageException($"{e.Message} Use hf:OWNER/REPO or hf:OWNER/REPO@REVISION.");
        }
        float? scale = Number(args, "logit-scale"), bias = Number(args, "logit-bias");
        if (scale is null != bias is null) throw new UsageException("Give --logit-scale and --logit-bias together.");
        var import = new HubImportOptions { Name = args.Get("name"), Force = args.Has("force"), Quantized = args.Has("quantized"), LogitScale = scale, LogitBias = bias };
        using HttpClient http = DownloadClient();
        var importer = new HuggingFaceImporter(http, options.Directory, options.Mirror.Length > 0 ? options.Mirror : null);
        var bar = new ByteProgressBar(Console.Error, interactive: !Console.IsErrorRedirected);
        try
        {
            InstalledModel model = await importer.ImportAsync(reference, import, bar, ct).ConfigureAwait(false);
            bar.Finish();
            TextEncoderSpec text = model.Manifest.Text!;
            Console.Error.WriteLine($"installed {model.Name} ({model.Manifest.Dimensions}-d, {text.TokenizerType} tokenizer, {text.Scoring} scores) in {model.Directory}, from {model.Manifest.Source}");
            return 0;
        }
        catch (ModelDownloadException e)
        {
            bar.Finish();
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    /// <summary>An HTTP client for model downloads: no overall timeout (files are hundreds of MB; the puller reports progress).</summary>
    private static HttpClient DownloadClient()
    {
        var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        http.DefaultRequestHeaders.UserAgent.ParseAdd("ImageEmbed/1.0");
        return http;
    }

    private static float? Number(ParsedArgs args, string option) =>
        args.Get(option) is not string value ? null
        : float.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out float x) && float.IsFinite(x) ? x
        : throw new UsageException($"--{option} must be a number (was '{value}').");
}
