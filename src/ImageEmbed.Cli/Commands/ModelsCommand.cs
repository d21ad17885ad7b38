using System.Text.Json;
using ImageEmbed.Cli.Infrastructure;
using ImageEmbed.Models;
using ImageEmbed.Models.Catalog;

namespace ImageEmbed.Cli.Commands;

/// <summary><c>imageembed models list|info</c>.</summary>
internal static class ModelsCommand
{
    public static readonly CommandSpec Spec = new(
        "models",
        "List installed and known models, or show one model's manifest.",
        "models list | models info NAME",
        [],
        """
        Subcommands:
          list        Installed models (in IMAGEEMBED_MODELS_DIR) and the catalog of known models.
          info NAME   The manifest of an installed or known model, as JSON ('default' works too).
        """);

    public static int Run(ParsedArgs args)
    {
        string sub = args.Positionals.Count > 0 ? args.Positionals[0] : "list";
        var registry = new ModelRegistry(Settings.Models());
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
            default:
                throw new UsageException($"Unknown subcommand 'models {sub}'. See 'imageembed models --help'.");
        }
    }
}
