using System.Text.Json;
using ImageEmbed.Cli.Infrastructure;
using ImageEmbed.Models;
using ImageEmbed.Models.Catalog;
using ImageEmbed.Models.Import;

namespace ImageEmbed.Cli.Commands;

/// <summary><c>imageembed models list|info|pull|import-tfjs</c>.</summary>
internal static class ModelsCommand
{
    private static readonly OptionSpec Force = new("force", "f", null, "With pull or import-tfjs: replace the model if it is installed.");
    private static readonly OptionSpec Name = new("name", "n", "NAME", "With import-tfjs: the name to install the model as (required).");

    public static readonly CommandSpec Spec = new(
        "models",
        "List, inspect and install models.",
        "models list | models info NAME | models pull NAME [--force] | models import-tfjs DIR --name NAME [--force]",
        [Force, Name],
        """
        Subcommands:
          list        Installed models (in IMAGEEMBED_MODELS_DIR) and the catalog of known models.
          info NAME   The manifest of an installed or known model, as JSON ('default' works too).
          pull NAME   Download a catalog model: resumes an interrupted download, checks every file's
                      size and sha256, and installs the folder only when all of it is right.
                      IMAGEEMBED_MODEL_MIRROR points downloads at a mirror of huggingface.co.
          import-tfjs DIR --name NAME
                      Convert a TensorFlow.js graph model (model.json + shards, or the nsfwjs bundle)
                      to ONNX and install it as NAME. 'mobilenet-v2-140' gets the catalog's recipe;
                      other names a squash resize at the graph's input size, RGB/255, NHWC.
                      On first start with no model, serve and embed do this themselves with the copy
                      of npm nsfwjs@4.3.0 the build fetched (when the default cannot be pulled).

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
                Console.WriteLine($"{"NAME",-24} {"DIMS",5}  {"TEXT",-4}  {"STATUS",-10} DESCRIPTION");
                foreach (ModelManifest m in installed.Select(i => i.Manifest).Concat(ModelCatalog.Known.Values.Where(k => installed.All(i => i.Name != k.Name))))
                {
                    string status = installed.Any(i => i.Name == m.Name) ? "installed" : "available";
                    Console.WriteLine($"{m.Name,-24} {m.Dimensions,5}  {(m.Text is null ? "no" : "yes"),-4}  {status,-10} {m.Description}");
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
                if (args.Positionals.Count < 2) throw new UsageException("Name the model: imageembed models pull NAME (see 'imageembed models list').");
                string wanted = registry.ResolveName(args.Positionals[1]);
                if (!ModelCatalog.Known.TryGetValue(wanted, out ModelManifest? entry))
                    throw new UsageException($"'{wanted}' is not in the catalog. Known: {string.Join(", ", ModelCatalog.Known.Keys)}.");
                using (var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan })
                {
                    http.DefaultRequestHeaders.UserAgent.ParseAdd("ImageEmbed/1.0");
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
            default:
                throw new UsageException($"Unknown subcommand 'models {sub}'. See 'imageembed models --help'.");
        }
    }
}
