namespace ImageEmbed.Application.Configuration;

/// <summary>
/// The <c>IMAGEEMBED_*</c> environment variables and the configuration keys they set: one for every key in
/// <c>appsettings.json</c>, the same table for the service and the CLI, so a variable means the same thing in both.
/// A test fails when a setting lacks its variable or its README row.
/// </summary>
public static class SettingVariables
{
    /// <summary>One help line per variable, as both executables' <c>--help</c> list them.</summary>
    public static IEnumerable<string> HelpLines => All.Select(v => $"  {v.Variable,-36} {v.Meaning}");

    public static IReadOnlyList<(string Variable, string Key, string Meaning)> All { get; } =
    [
        ("IMAGEEMBED_DATA_DIR", "DataDirectory", "data folder (keys, collections); default ~/.imageembed"),
        ("IMAGEEMBED_URLS", "urls", "addresses the service listens on; default http://localhost:5000"),
        ("IMAGEEMBED_LOG_LEVEL", "Logging:LogLevel:Default", "log level: Trace, Debug, Information, Warning, Error"),
        ("IMAGEEMBED_LOG_FORMAT", "Logging:Console:FormatterName", "log format: simple (text), json (one JSON object per line), systemd"),
        ("IMAGEEMBED_ACCESS_LOG", "Service:AccessLog", "log one line per request: method, path, status, duration (never headers or bodies)"),
        ("IMAGEEMBED_ASPNETCORE_LOG_LEVEL", "Logging:LogLevel:Microsoft.AspNetCore", "log level of ASP.NET Core's own messages; default Warning"),
        ("IMAGEEMBED_MODELS_DIR", "Models:Directory", "models folder; default $IMAGEEMBED_DATA_DIR/models"),
        ("IMAGEEMBED_DEFAULT_MODEL", "Models:DefaultModel", "what the model name 'default' means; unset = clip-vit-b32 if installed, else another CLIP model, else resnet18-imagenet"),
        ("IMAGEEMBED_MODEL_ALIASES", "Models:Aliases", "extra model names, NAME=TARGET[,NAME=TARGET...]"),
        ("IMAGEEMBED_MODEL_MIRROR", "Models:Mirror", "base URL replacing https://huggingface.co in model downloads"),
        ("IMAGEEMBED_NPM_REGISTRY", "Models:NpmRegistry", "npm registry 'models pull mobilenet-v2-140' downloads nsfwjs from; default https://registry.npmjs.org"),
        ("IMAGEEMBED_AUTO_PULL", "Models:AutoPull", "first start with no model: try downloading the default (else install resnet18-imagenet offline)"),
        ("IMAGEEMBED_EXECUTION_PROVIDER", "Models:ExecutionProvider", "where models run: auto (CUDA if usable, else CPU), cpu, cuda, coreml (macOS)"),
        ("IMAGEEMBED_CUDA_DEVICE", "Models:CudaDevice", "GPU index for cuda; default 0"),
        ("IMAGEEMBED_INTRA_OP_THREADS", "Models:IntraOpThreads", "ONNX Runtime threads per batch; 0 = the cores shared among parallel batches (GPU: 1)"),
        ("IMAGEEMBED_PARALLEL_BATCHES", "Models:ParallelBatches", "batches of one model run at once; 0 = automatic (2 on 2+ cores)"),
        ("IMAGEEMBED_INTRA_OP_SPINNING", "Models:IntraOpSpinning", "let ONNX Runtime threads spin-wait (inference-only hosts); default false"),
        ("IMAGEEMBED_MAX_BATCH_SIZE", "Models:MaxBatchSize", "most images per inference run; 0 = automatic (CPU up to 8, GPU up to 32)"),
        ("IMAGEEMBED_MAX_BATCH_DELAY_MS", "Models:MaxBatchDelayMs", "longest wait to fill a batch"),
        ("IMAGEEMBED_QUEUE_CAPACITY", "Models:QueueCapacity", "images in flight across requests; a request that does not fit is refused at once (503)"),
        ("IMAGEEMBED_VERIFY_CHECKSUMS", "Models:VerifyChecksums", "check model files' sha256 when loading"),
        ("IMAGEEMBED_MAX_PIXELS", "Imaging:MaxPixels", "largest width x height accepted"),
        ("IMAGEEMBED_MAX_SIDE", "Imaging:MaxSide", "longest image side accepted, pixels; default 32768"),
        ("IMAGEEMBED_MAX_ASPECT_RATIO", "Imaging:MaxAspectRatio", "most elongated image accepted, longer:shorter; default 100"),
        ("IMAGEEMBED_DECODE_TIMEOUT_MS", "Imaging:DecodeTimeoutMs", "longest one image's decode may take before it is stopped (422); default 10000"),
        ("IMAGEEMBED_MAX_BYTES", "Imaging:MaxBytes", "largest encoded image accepted, bytes"),
        ("IMAGEEMBED_FAIL_ON", "Imaging:FailOn", "libvips damage tolerance: none, truncated, error, warning"),
        ("IMAGEEMBED_SHRINK_ON_LOAD", "Imaging:ShrinkOnLoad", "decode large JPEGs at 1/2-1/8 scale while 2 source pixels per model pixel remain (about 2x faster on large photos)"),
        ("IMAGEEMBED_DECODE_CONCURRENCY", "Imaging:DecodeConcurrency", "images decoded at once; 0 = one per core"),
        ("IMAGEEMBED_VIPS_THREADS_PER_IMAGE", "Imaging:VipsThreadsPerImage", "libvips threads inside one image's pipeline; default 1"),
        ("IMAGEEMBED_ALLOW_PRIVATE_URLS", "Imaging:AllowPrivateUrls", "allow image URLs on loopback/private networks"),
        ("IMAGEEMBED_ALLOWED_PRIVATE_HOSTS", "Imaging:AllowedPrivateHosts", "host names allowed to resolve to private addresses"),
        ("IMAGEEMBED_FETCH_CONNECT_TIMEOUT_MS", "Imaging:FetchConnectTimeoutMs", "TCP connect time limit for image downloads"),
        ("IMAGEEMBED_FETCH_TIMEOUT_MS", "Imaging:FetchTimeoutMs", "whole image download time limit"),
        ("IMAGEEMBED_MAX_REDIRECTS", "Imaging:MaxRedirects", "redirects followed per image download"),
        ("IMAGEEMBED_STORE", "Service:Store", "collections store: empty = embedded (SQLite in the data folder), embedded-int8, or a postgres:// URL"),
        ("IMAGEEMBED_STORE_POOL_SIZE", "Service:StorePoolSize", "PostgreSQL connections per node; 0 = automatic (decoders + inference runs + 4)"),
        ("IMAGEEMBED_API_KEYS", "Service:ApiKeys", "API keys accepted, comma-separated, each KEY (every scope) or KEY:SCOPE (embed, read, write, admin)"),
        ("IMAGEEMBED_CORS_ORIGINS", "Service:CorsOrigins", "browser origins whose pages may call the API, comma-separated (https://app.example); default none"),
        ("IMAGEEMBED_NO_AUTH", "Service:NoAuth", "serve without API keys (local experiments only; same as --no-auth)"),
        ("IMAGEEMBED_RATE_LIMIT_PER_MINUTE", "Service:RateLimitPerMinute", "requests per minute per API key; 0 = unlimited"),
        ("IMAGEEMBED_STALL_SECONDS", "Service:StallSeconds", "a batch running longer than this makes /readyz fail"),
        ("IMAGEEMBED_MAX_INPUTS_PER_REQUEST", "Service:MaxInputsPerRequest", "most inputs in one /v1/embeddings request"),
        ("IMAGEEMBED_MAX_ITEMS_PER_UPSERT", "Service:MaxItemsPerUpsert", "most items in one collection upsert"),
        ("IMAGEEMBED_MAX_JOB_ITEMS", "Service:MaxJobItems", "most URLs in one bulk job"),
        ("IMAGEEMBED_MAX_BODY_BYTES_IN_FLIGHT", "Service:MaxBodyBytesInFlight", "request body bytes read at once across requests; past it 503 before reading; default 256 MiB"),
    ];

    /// <summary>The variable that sets <paramref name="key"/>, or null.</summary>
    public static string? For(string key) =>
        All.FirstOrDefault(v => string.Equals(v.Key, key, StringComparison.OrdinalIgnoreCase)).Variable;
}
