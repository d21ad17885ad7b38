using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ImageEmbed.Service.Auth;
using ImageEmbed.Tests;

namespace ImageEmbed.Service.Tests;

public sealed class OpsEndpointTests(OpenServiceFixture fixture) : IClassFixture<OpenServiceFixture>
{
    private readonly ServiceServer _service = fixture.Service;

    [Fact]
    public async Task HealthAndReady_AreOpenAndReportState()
    {
        using HttpResponseMessage health = await _service.Anonymous.GetAsync("/healthz").DefaultTimeout();
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        JsonElement ready = await _service.Anonymous.GetFromJsonAsync<JsonElement>("/readyz").DefaultTimeout();
        Assert.Equal("ready", ready.GetProperty("status").GetString());
        Assert.Equal(["mobilenet-v2-140"], ready.GetProperty("models").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Metrics_AfterAnEmbedding_HasRequestCountsAndEveryStageHistogram()
    {
        string image = fixture.Images.Dev(Path.GetFileName(TestPaths.DevFiles()[0]));
        Assert.Equal(HttpStatusCode.OK, (await _service.Client.PostAsync("/api/ai/embeddings", LoadTests.Json(new { image })).DefaultTimeout()).StatusCode);

        string metrics = await _service.Anonymous.GetStringAsync("/metrics").DefaultTimeout();

        Assert.Matches(@"imageembed_requests_total\{route=""/api/ai/embeddings"",method=""POST"",status=""200""\} [1-9]", metrics);
        foreach (string stage in new[] { "fetch", "decode", "preprocess", "queue", "inference" })
            Assert.Matches($@"imageembed_stage_duration_seconds_count\{{stage=""{stage}""\}} [1-9]", metrics);
        Assert.Contains("imageembed_stage_duration_seconds_bucket{stage=\"inference\",le=\"+Inf\"}", metrics, StringComparison.Ordinal);
        Assert.Contains("imageembed_queue_length{model=\"mobilenet-v2-140\"} 0", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_ProcessRuntimeCollectionsAndJobs()
    {
        string name = "metrics-" + Guid.NewGuid().ToString("N")[..8];
        Assert.Equal(HttpStatusCode.OK, (await _service.Client.PutAsync($"/v1/collections/{name}", LoadTests.Json(new { model = "mobilenet-v2-140" })).DefaultTimeout()).StatusCode);
        float[] vector = Enumerable.Range(0, 1792).Select(i => i == 7 ? 1f : 0f).ToArray();
        Assert.Equal(HttpStatusCode.OK, (await _service.Client.PostAsync($"/v1/collections/{name}/items",
            LoadTests.Json(new { items = new[] { new { id = "a", vector }, new { id = "b", vector } } })).DefaultTimeout()).StatusCode);

        string metrics = await _service.Anonymous.GetStringAsync("/metrics").DefaultTimeout();

        Assert.Contains($"imageembed_collection_items{{collection=\"{name}\",model=\"mobilenet-v2-140\"}} 2", metrics, StringComparison.Ordinal);
        Assert.Contains("# TYPE imageembed_jobs gauge", metrics, StringComparison.Ordinal);
        // The runtime's own meter: memory, CPU, GC and the thread pool.
        Assert.Matches(@"dotnet_process_memory_working_set_bytes [1-9][0-9]{6,}", metrics);
        Assert.Matches(@"dotnet_process_cpu_time_seconds_total\{cpu_mode=""user""\} [0-9.]+", metrics);
        Assert.Matches(@"dotnet_gc_collections_total\{gc_heap_generation=""gen0""\} [0-9]+", metrics);
        Assert.Contains("# TYPE dotnet_thread_pool_thread_count gauge", metrics, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NoContent, (await _service.Client.DeleteAsync($"/v1/collections/{name}").DefaultTimeout()).StatusCode);
    }

    [Fact]
    public async Task AccessLog_OneLinePerRequest_WithoutTheKey()
    {
        var lines = new System.Collections.Concurrent.ConcurrentQueue<(string Category, string Message)>();
        await using (ServiceServer logged = await ServiceServer.StartAsync(new Dictionary<string, string?> { ["Service:AccessLog"] = "true" },
                         builder => builder.Logging.AddProvider(new CapturingLoggerProvider(lines))))
        {
            Assert.Equal(HttpStatusCode.OK, (await logged.Client.GetAsync("/v1/models").DefaultTimeout()).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await logged.Anonymous.GetAsync("/v1/collections").DefaultTimeout()).StatusCode);
        }
        string[] access = lines.Where(l => l.Category.EndsWith("HttpLoggingMiddleware", StringComparison.Ordinal)).Select(l => l.Message).ToArray();
        Assert.Single(access, m => m.Contains("Method: GET", StringComparison.Ordinal) && m.Contains("Path: /v1/models", StringComparison.Ordinal) && m.Contains("StatusCode: 200", StringComparison.Ordinal));
        Assert.Single(access, m => m.Contains("Path: /v1/collections", StringComparison.Ordinal) && m.Contains("StatusCode: 401", StringComparison.Ordinal));
        Assert.All(access, m => Assert.Contains("Duration: ", m, StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Message.Contains(ServiceServer.Key, StringComparison.Ordinal));
    }

    private sealed class CapturingLoggerProvider(System.Collections.Concurrent.ConcurrentQueue<(string, string)> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, lines);

        public void Dispose()
        {
        }

        private sealed class Logger(string category, System.Collections.Concurrent.ConcurrentQueue<(string, string)> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Enqueue((category, formatter(state, exception)));
        }
    }

    [Fact]
    public async Task OpenApi_DescribesTheRoutes()
    {
        JsonElement doc = await _service.Anonymous.GetFromJsonAsync<JsonElement>("/openapi.json").DefaultTimeout();
        JsonElement paths = doc.GetProperty("paths");
        foreach (string path in new[] { "/api/ai/embeddings", "/v1/embeddings", "/v1/models", "/healthz", "/readyz", "/metrics" })
            Assert.True(paths.TryGetProperty(path, out _), path);
    }

    [Fact]
    public async Task OpenApi_EmbeddingsResponseSchemas_ListTheFieldsTheRoutesWrite()
    {
        JsonElement doc = await _service.Anonymous.GetFromJsonAsync<JsonElement>("/openapi.json").DefaultTimeout();
        string image = fixture.Images.Dev(Path.GetFileName(TestPaths.DevFiles()[0]));

        using HttpResponseMessage coreViz = await _service.Client.PostAsync("/api/ai/embeddings", LoadTests.Json(new { image })).DefaultTimeout();
        JsonElement coreVizBody = await coreViz.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(Properties(doc, Response(doc, "/api/ai/embeddings")), Keys(coreVizBody));

        using HttpResponseMessage openAi = await _service.Client.PostAsync("/v1/embeddings", LoadTests.Json(new { input = image, modality = "image", encoding_format = "base64" })).DefaultTimeout();
        JsonElement openAiBody = await openAi.Content.ReadFromJsonAsync<JsonElement>();
        JsonElement schema = Response(doc, "/v1/embeddings");
        Assert.Equal(Properties(doc, schema), Keys(openAiBody));
        Assert.Equal(Properties(doc, Resolve(doc, Resolve(doc, schema).GetProperty("properties").GetProperty("data")).GetProperty("items")), Keys(openAiBody.GetProperty("data")[0]));
        Assert.Equal(Properties(doc, Resolve(doc, schema).GetProperty("properties").GetProperty("usage")), Keys(openAiBody.GetProperty("usage")));
        Assert.Equal(JsonValueKind.String, openAiBody.GetProperty("data")[0].GetProperty("embedding").ValueKind);
    }

    private static JsonElement Response(JsonElement doc, string path) =>
        doc.GetProperty("paths").GetProperty(path).GetProperty("post").GetProperty("responses").GetProperty("200")
            .GetProperty("content").GetProperty("application/json").GetProperty("schema");

    private static JsonElement Resolve(JsonElement doc, JsonElement schema) =>
        schema.TryGetProperty("$ref", out JsonElement r) ? doc.GetProperty("components").GetProperty("schemas").GetProperty(r.GetString()!["#/components/schemas/".Length..]) : schema;

    private static string[] Properties(JsonElement doc, JsonElement schema) =>
        Resolve(doc, schema).GetProperty("properties").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToArray();

    private static string[] Keys(JsonElement body) => body.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public async Task UnknownRoute_Returns404InTheErrorShape()
    {
        using HttpResponseMessage response = await _service.Client.GetAsync("/v2/nothing").DefaultTimeout();
        await ResponseAssert.ErrorAsync(response, HttpStatusCode.NotFound, "No route GET /v2/nothing");
    }
}

public sealed class ApiKeyStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("imageembed-keys-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Load_NoKeysConfigured_GeneratesOneStoresOnlyItsHashAndKeepsIt()
    {
        ApiKeyStore store = ApiKeyStore.Load(new ServiceOptions(), _dir, out string? generated);

        Assert.NotNull(generated);
        Assert.NotNull(store.Find(generated));
        Assert.Null(store.Find(generated + "x"));
        string file = File.ReadAllText(Path.Combine(_dir, ApiKeyStore.FileName));
        Assert.DoesNotContain(generated, file, StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_dir, ApiKeyStore.FileName)));

        ApiKeyStore again = ApiKeyStore.Load(new ServiceOptions(), _dir, out string? second);
        Assert.Null(second);
        Assert.NotNull(again.Find(generated));
    }

    [Fact]
    public void Load_ConfiguredKeys_NoGenerationAndEachKeyWorks()
    {
        ApiKeyStore store = ApiKeyStore.Load(new ServiceOptions { ApiKeys = " alpha-key , beta-key:read,gamma:key:embed " }, _dir, out string? generated);
        Assert.Null(generated);
        Assert.Equal(Storage.Keys.KeyScope.Admin, store.Find("alpha-key"));
        Assert.Equal(Storage.Keys.KeyScope.Read, store.Find("beta-key"));
        Assert.Equal(Storage.Keys.KeyScope.Embed, store.Find("gamma:key"));
        Assert.Null(store.Find("beta-key:read"));
        Assert.Null(store.Find(""));
        Assert.False(File.Exists(Path.Combine(_dir, ApiKeyStore.FileName)));
    }

    [Fact]
    public async Task KeyFile_CreatedAndRevokedWhileRunning_TakesEffectWithoutRestart()
    {
        await using ServiceServer service = await ServiceServer.StartAsync();
        (string key, Storage.Keys.StoredApiKey stored) = Storage.Keys.ApiKeyFile.Create(service.DataDirectory, "added later");
        using var client = new HttpClient { BaseAddress = service.Address };
        client.DefaultRequestHeaders.Add("x-api-key", key);

        Assert.Equal(HttpStatusCode.OK, await EventuallyAsync(client, HttpStatusCode.OK));
        Assert.True(Storage.Keys.ApiKeyFile.Revoke(service.DataDirectory, stored.Id));
        Assert.Equal(HttpStatusCode.Unauthorized, await EventuallyAsync(client, HttpStatusCode.Unauthorized));
        using HttpResponseMessage configured = await service.Client.GetAsync("/v1/models").DefaultTimeout();
        Assert.Equal(HttpStatusCode.OK, configured.StatusCode);
    }

    /// <summary>The file is re-read at most once a second: poll /v1/models for up to 5 s until the wanted status.</summary>
    private static async Task<HttpStatusCode> EventuallyAsync(HttpClient client, HttpStatusCode wanted)
    {
        HttpStatusCode last = default;
        for (int i = 0; i < 50 && last != wanted; i++)
        {
            if (i > 0) await Task.Delay(100);
            using HttpResponseMessage r = await client.GetAsync("/v1/models").DefaultTimeout();
            last = r.StatusCode;
        }
        return last;
    }

    [Fact]
    public async Task NoAuthFlag_OpensTheApi()
    {
        await using ServiceServer service = await ServiceServer.StartAsync(new Dictionary<string, string?> { ["Service:ApiKeys"] = "" }, null, ServiceHost.NoAuthFlag);
        using HttpResponseMessage response = await service.Anonymous.GetAsync("/v1/models").DefaultTimeout();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
