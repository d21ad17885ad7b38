using System.Text.Json;

namespace ImageEmbed.Models.Catalog;

/// <summary>
/// Finds models in the models directory. A model is a sub-folder named after it, holding its files
/// and either an <c>imageembed.json</c> manifest or a name the <see cref="ModelCatalog"/> knows.
/// The name <c>default</c> stands for <see cref="ModelsOptions.DefaultModel"/>.
/// </summary>
public sealed class ModelRegistry(ModelsOptions options)
{
    private readonly Dictionary<string, string> _aliases = options.Aliases
        .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(pair => pair.Split('=', 2, StringSplitOptions.TrimEntries))
        .Where(parts => parts.Length == 2)
        .ToDictionary(parts => parts[0], parts => parts[1], StringComparer.Ordinal);

    public const string DefaultAlias = "default";
    public const string ManifestFileName = "imageembed.json";

    public string ModelsDirectory => options.Directory;

    private volatile string? _automaticDefault;

    /// <summary>
    /// What <c>default</c> means: the configured model, or the automatic choice (see <see cref="ModelsOptions.DefaultModel"/>),
    /// which is worked out from the models folder once and kept until <see cref="Refresh"/>.
    /// </summary>
    public string DefaultModel
    {
        get
        {
            if (!string.IsNullOrWhiteSpace(options.DefaultModel)) return options.DefaultModel;
            return _automaticDefault ??= ChooseDefault(ListInstalled());
        }
    }

    /// <summary>Forgets the automatic default choice, after a model was installed or removed.</summary>
    public void Refresh() => _automaticDefault = null;

    private static string ChooseDefault(IReadOnlyList<InstalledModel> installed)
    {
        // A CLIP-family model (text search too), the recommended one first; else the offline default; else any.
        if (installed.Any(m => m.Name == ModelCatalog.Recommended)) return ModelCatalog.Recommended;
        if (installed.FirstOrDefault(m => m.Manifest.Text is not null) is { } clip) return clip.Name;
        foreach (string preferred in new[] { ModelCatalog.ResNet18ImageNet.Name, ModelCatalog.MobileNetV2_140.Name })
            if (installed.Any(m => m.Name == preferred)) return preferred;
        return installed.Count > 0 ? installed[0].Name : ModelCatalog.Recommended;
    }

    /// <summary>The concrete model name for a request: null, empty and <c>default</c> mean the default model; aliases are followed.</summary>
    public string ResolveName(string? requested)
    {
        if (requested is not null && _aliases.TryGetValue(requested, out string? target)) requested = target;
        return string.IsNullOrWhiteSpace(requested) || requested == DefaultAlias ? DefaultModel : requested;
    }

    /// <summary>Installed models, sorted by name. Folders that are not models are skipped.</summary>
    public IReadOnlyList<InstalledModel> ListInstalled()
    {
        if (!Directory.Exists(options.Directory)) return [];
        var found = new List<InstalledModel>();
        foreach (string dir in Directory.EnumerateDirectories(options.Directory).Order(StringComparer.Ordinal))
        {
            if (TryOpen(Path.GetFileName(dir), out InstalledModel? model, out _)) found.Add(model!);
        }
        return found;
    }

    /// <summary>The installed model a request names.</summary>
    /// <exception cref="UnknownModelException">No such model is installed.</exception>
    /// <exception cref="ModelLoadException">The folder exists but its manifest is unusable.</exception>
    public InstalledModel Find(string? requested)
    {
        string name = ResolveName(requested);
        if (TryOpen(name, out InstalledModel? model, out string? problem)) return model!;
        if (problem is not null) throw new ModelLoadException(problem);
        throw new UnknownModelException(name, ListInstalled().Select(m => m.Name));
    }

    private bool TryOpen(string name, out InstalledModel? model, out string? problem)
    {
        model = null;
        problem = null;
        if (!ModelFolders.IsPlainName(name)) return false;
        string dir = Path.Combine(options.Directory, name);
        if (!Directory.Exists(dir)) return false;

        ModelManifest? manifest;
        string manifestPath = Path.Combine(dir, ManifestFileName);
        if (File.Exists(manifestPath))
        {
            try
            {
                manifest = JsonSerializer.Deserialize<ModelManifest>(File.ReadAllText(manifestPath), ModelManifest.JsonOptions);
            }
            catch (JsonException e)
            {
                problem = $"Model '{name}': {manifestPath} is not a valid manifest: {e.Message}";
                return false;
            }
            if (manifest is null) { problem = $"Model '{name}': {manifestPath} is empty."; return false; }
            if (manifest.Name != name) manifest = manifest with { Name = name };
        }
        else if (!ModelCatalog.Known.TryGetValue(name, out manifest))
        {
            return false;
        }

        string[] problems = manifest.Validate().ToArray();
        if (problems.Length > 0) { problem = string.Join(" ", problems); return false; }
        model = new InstalledModel(manifest, dir);
        return true;
    }
}
