using ImageEmbed.Service.Tests;
using ImageEmbed.Tests;
using Microsoft.Playwright;

namespace ImageEmbed.Web.Tests;

/// <summary>
/// The real service on loopback and Debian's Chromium driven by Playwright (no browser download:
/// <see cref="ChromiumPath"/>). One of each per test class; every test gets its own browser context.
/// </summary>
public class BrowserFixture : IAsyncLifetime
{
    /// <summary>Debian's package <c>chromium</c>; <c>.ci/run</c> installs it.</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    private IPlaywright? _playwright;

    public ServiceServer Service { get; private set; } = null!;

    /// <summary>A remote image server on loopback, for pasted URLs (the service may fetch from loopback here).</summary>
    public TestImageServer Images { get; private set; } = null!;

    /// <summary>Service settings on top of the test defaults.</summary>
    protected virtual IDictionary<string, string?>? Settings => null;
    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
            throw new InvalidOperationException($"The browser tests need Chromium at {ChromiumPath}: apt-get install -y chromium (.ci/run does).");
        Images = await TestImageServer.StartAsync();
        var settings = new Dictionary<string, string?> { ["Imaging:AllowPrivateUrls"] = "true" };
        foreach ((string key, string? value) in Settings ?? new Dictionary<string, string?>()) settings[key] = value;
        Service = await ServiceServer.StartAsync(settings);
        _playwright = await Playwright.CreateAsync().DefaultTimeout();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = ChromiumPath, Headless = true }).DefaultTimeout();
    }

    /// <summary>A fresh page on the UI; with <paramref name="key"/> it is already in localStorage, as after entering it once.</summary>
    public async Task<IPage> OpenAsync(string view, string? key = ServiceServer.Key)
    {
        IBrowserContext context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Service.Address.ToString(),
            ViewportSize = new ViewportSize { Width = 1280, Height = 860 },
        });
        context.SetDefaultTimeout(30_000);
        await context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"]);
        if (key is not null) await context.AddInitScriptAsync($"localStorage.setItem('imageembed.apiKey', {System.Text.Json.JsonSerializer.Serialize(key)});");
        IPage page = await context.NewPageAsync();
        await page.GotoAsync("/#" + view);
        return page;
    }

    public virtual async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
        if (Service is not null) await Service.DisposeAsync();
        if (Images is not null) await Images.DisposeAsync();
    }
}

/// <summary>The same, with a per-key rate limit of 2 requests a minute.</summary>
public sealed class RateLimitedBrowserFixture : BrowserFixture
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Service:RateLimitPerMinute"] = "2" };
}

/// <summary>The same with a synthetic CLIP-shaped model (text and images in one space) as the default.</summary>
public sealed class ClipBrowserFixture : BrowserFixture
{
    private readonly string _models = Directory.CreateTempSubdirectory("imageembed-ui-clip-").FullName;

    protected override IDictionary<string, string?> Settings
    {
        get
        {
            if (!Directory.Exists(Path.Combine(_models, "clip-vit-b32"))) SyntheticClip.Install(_models);
            return new Dictionary<string, string?> { ["Models:Directory"] = _models };
        }
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(_models, recursive: true);
    }
}

/// <summary>Screenshots of each test, in the test output folder; with IMAGEEMBED_UPDATE_SCREENSHOTS=1 also the committed ones in docs/ui.</summary>
internal static class Screenshots
{
    public static async Task SaveAsync(IPage page, string name)
    {
        string folder = Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(folder);
        string file = Path.Combine(folder, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = file, FullPage = true }).DefaultTimeout();
        if (Environment.GetEnvironmentVariable("IMAGEEMBED_UPDATE_SCREENSHOTS") == "1")
        {
            string docs = Path.Combine(TestPaths.RepoRoot, "docs", "ui");
            Directory.CreateDirectory(docs);
            File.Copy(file, Path.Combine(docs, name + ".png"), overwrite: true);
        }
    }
}
