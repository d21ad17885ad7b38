using ImageEmbed.Models.Import;

namespace ImageEmbed.Models.Catalog;

/// <summary>
/// First run: when no model is installed, pulls the default (the catalog's recommended CLIP model
/// unless configured otherwise), and when that cannot be done (offline, blocked, disabled), builds
/// <c>mobilenet-v2-140</c> from the TensorFlow.js model of the npm package the build fetched. So a
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

        string folder = TfjsModelInstaller.BundledMobileNetFolder()
            ?? throw new ModelLoadException($"No model is installed in {options.Directory}, and the bundled TensorFlow.js model ({TfjsModelInstaller.NsfwjsPackage}) was not found beside the application. Rebuild (the build fetches it) or run 'imageembed models pull NAME'.");
        log($"Building {ModelCatalog.MobileNetV2_140.Name} from the npm package {TfjsModelInstaller.NsfwjsPackage} (offline; image-only, {ModelCatalog.MobileNetV2_140.Dimensions}-d).");
        TfjsModelInstaller.Install(folder, ModelCatalog.MobileNetV2_140.Name, options.Directory);
        registry.Refresh();
        log($"Installed {ModelCatalog.MobileNetV2_140.Name}. Text search needs a CLIP-family model: 'imageembed models pull {ModelCatalog.Recommended}'.");
    }
}
