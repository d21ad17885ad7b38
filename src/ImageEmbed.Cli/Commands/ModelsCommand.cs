using System.Text.Json;
using ImageEmbed.Cli.Infrastructure;
using ImageEmbed.Models;
using ImageEmbed.Models.Catalog;

namespace ImageEmbed.Cli.Commands;

/// <summary><c>imageembed models list|info|pull</c>.</summary>
internal static class ModelsCommand
{
    private static readonly OptionSpec Force = new("force", "f", null, "With pull: download again even if the model is installed.");

    public static readonly CommandSpec Spec = new(
        "models",
        "List, inspect and install models.",
        "models list | models info NAME | models pull NAME [--force]",
        [Force],
        """
        Subcommands:
          list        Installed models (in IMAGEEMBED_MODELS_DIR) and the catalog of known models.
          info NAME   The manifest of an installed or known model, as JSON ('default' works too).
          pull NAME   Download a catalog model: resumes an interrupted download, checks every file's
                      size and sha256, and installs the folder only when all of it is right.
                      IMAGEEMBED_MODEL_MIRROR points downloads at a mirror of huggingface.co.

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
            default:
                throw new UsageException($"Unknown subcommand 'models {sub}'. See 'imageembed models --help'.");
        }
    }
}
