namespace ImageEmbed.Models;

/// <summary>
/// The <c>IMAGEEMBED_*</c> environment variables and the configuration keys they set. One table for
/// the CLI and the service, so a variable means the same thing in both.
/// </summary>
public static class EnvironmentSettings
{
    public static IReadOnlyList<(string Variable, string Key, string Meaning)> Variables { get; } =
    [
        ("IMAGEEMBED_DATA_DIR", "DataDirectory", "data folder (keys, collections); default ~/.imageembed"),
        ("IMAGEEMBED_MODELS_DIR", "Models:Directory", "models folder; default $IMAGEEMBED_DATA_DIR/models"),
        ("IMAGEEMBED_DEFAULT_MODEL", "Models:DefaultModel", "what the model name 'default' means; unset = clip-vit-b32 if installed, else another CLIP model, else resnet18-imagenet"),
        ("IMAGEEMBED_MODEL_ALIASES", "Models:Aliases", "extra model names, NAME=TARGET[,NAME=TARGET...]"),
        ("IMAGEEMBED_MODEL_MIRROR", "Models:Mirror", "base URL replacing https://huggingface.co in model downloads"),
        ("IMAGEEMBED_NPM_REGISTRY", "Models:NpmRegistry", "npm registry 'models pull mobilenet-v2-140' downloads nsfwjs from; default https://registry.npmjs.org"),
        ("IMAGEEMBED_AUTO_PULL", "Models:AutoPull", "first start with no model: try downloading the default (else install resnet18-imagenet offline)"),
        ("IMAGEEMBED_INTRA_OP_THREADS", "Models:IntraOpThreads", "ONNX Runtime threads per batch; 0 = the cores shared among parallel batches"),
        ("IMAGEEMBED_PARALLEL_BATCHES", "Models:ParallelBatches", "batches of one model run at once; 0 = automatic (2 on 2+ cores)"),
        ("IMAGEEMBED_INTRA_OP_SPINNING", "Models:IntraOpSpinning", "let ONNX Runtime threads spin-wait (inference-only hosts); default false"),
        ("IMAGEEMBED_MAX_BATCH_SIZE", "Models:MaxBatchSize", "most images per inference run"),
        ("IMAGEEMBED_MAX_BATCH_DELAY_MS", "Models:MaxBatchDelayMs", "longest wait to fill a batch"),
        ("IMAGEEMBED_QUEUE_CAPACITY", "Models:QueueCapacity", "images waiting per model before requests are refused"),
        ("IMAGEEMBED_VERIFY_CHECKSUMS", "Models:VerifyChecksums", "check model files' sha256 when loading"),
        ("IMAGEEMBED_MAX_PIXELS", "Imaging:MaxPixels", "largest width x height accepted"),
        ("IMAGEEMBED_MAX_BYTES", "Imaging:MaxBytes", "largest encoded image accepted, bytes"),
        ("IMAGEEMBED_FAIL_ON", "Imaging:FailOn", "libvips damage tolerance: none, truncated, error, warning"),
        ("IMAGEEMBED_SHRINK_ON_LOAD", "Imaging:ShrinkOnLoad", "decode large JPEGs at 1/2-1/8 scale (faster; cosine >= 0.998 vs full decode)"),
        ("IMAGEEMBED_DECODE_CONCURRENCY", "Imaging:DecodeConcurrency", "images decoded at once; 0 = one per core"),
        ("IMAGEEMBED_ALLOW_PRIVATE_URLS", "Imaging:AllowPrivateUrls", "allow image URLs on loopback/private networks"),
        ("IMAGEEMBED_ALLOWED_PRIVATE_HOSTS", "Imaging:AllowedPrivateHosts", "host names allowed to resolve to private addresses"),
        ("IMAGEEMBED_FETCH_TIMEOUT_MS", "Imaging:FetchTimeoutMs", "whole image download time limit"),
        ("IMAGEEMBED_STORE", "Service:Store", "collections store: empty = embedded (SQLite in the data folder), embedded-int8, or a postgres:// URL"),
        ("IMAGEEMBED_API_KEYS", "Service:ApiKeys", "API keys accepted, comma-separated"),
        ("IMAGEEMBED_RATE_LIMIT_PER_MINUTE", "Service:RateLimitPerMinute", "requests per minute per API key; 0 = unlimited"),
    ];
}

/// <summary>Reads <see cref="EnvironmentSettings.Variables"/> into configuration and binds the layers' options from it.</summary>
public static class SettingsBinding
{
    /// <summary>Adds the <c>IMAGEEMBED_*</c> variables that are set, under their configuration keys.</summary>
    public static Microsoft.Extensions.Configuration.IConfigurationBuilder AddImageEmbedEnvironment(this Microsoft.Extensions.Configuration.IConfigurationBuilder builder) =>
        Microsoft.Extensions.Configuration.MemoryConfigurationBuilderExtensions.AddInMemoryCollection(builder,
            EnvironmentSettings.Variables
                .Select(v => new KeyValuePair<string, string?>(v.Key, Environment.GetEnvironmentVariable(v.Variable)))
                .Where(kv => !string.IsNullOrEmpty(kv.Value)));

    /// <summary>The data folder: <c>DataDirectory</c>, else <c>~/.imageembed</c>.</summary>
    public static string DataDirectory(Microsoft.Extensions.Configuration.IConfiguration configuration) =>
        configuration["DataDirectory"] is { Length: > 0 } dir ? dir : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".imageembed");

    /// <summary>Binds a section onto <paramref name="options"/>; a value of the wrong type names its key and variable.</summary>
    /// <exception cref="ArgumentException">A value cannot be converted.</exception>
    public static T Bind<T>(Microsoft.Extensions.Configuration.IConfiguration configuration, string section, T options) where T : class
    {
        try
        {
            Microsoft.Extensions.Configuration.ConfigurationBinder.Bind(configuration.GetSection(section), options);
            return options;
        }
        catch (InvalidOperationException e)
        {
            string? variable = EnvironmentSettings.Variables.FirstOrDefault(v => e.Message.Contains($"'{v.Key}'", StringComparison.Ordinal)).Variable;
            throw new ArgumentException(variable is null ? e.Message : $"{e.Message} (set by {variable})", e);
        }
    }

    public static ModelsOptions Models(Microsoft.Extensions.Configuration.IConfiguration configuration)
    {
        ModelsOptions options = Bind(configuration, "Models", new ModelsOptions());
        if (string.IsNullOrWhiteSpace(options.Directory)) options.Directory = Path.Combine(DataDirectory(configuration), "models");
        return options;
    }

    public static Imaging.ImagingOptions Imaging(Microsoft.Extensions.Configuration.IConfiguration configuration) =>
        Bind(configuration, "Imaging", new Imaging.ImagingOptions());
}
