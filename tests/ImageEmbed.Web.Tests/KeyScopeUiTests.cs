using System.Net;
using System.Text.Json;
using ImageEmbed.Service.Tests;
using ImageEmbed.Tests;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ImageEmbed.Web.Tests;

/// <summary>The service with scoped keys, and CORS open to the image server's origin (a second loopback port).</summary>
public sealed class ScopedKeysBrowserFixture : BrowserFixture
{
    public const string EmbedKey = "ui-embed-key";
    public const string ReadKey = "ui-read-key";

    /// <summary>The listed origin: the image server's, as a page served from it sends it.</summary>
    public string ListedOrigin => Images.Address.GetLeftPart(UriPartial.Authority);

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Service:ApiKeys"] = $"{ServiceServer.Key},{EmbedKey}:embed,{ReadKey}:read",
        ["Service:CorsOrigins"] = ListedOrigin,
    };
}

/// <summary>The web UI offers what the key's scope allows; a page on a listed origin calls the API from Chromium, others cannot.</summary>
public sealed class KeyScopeUiTests(ScopedKeysBrowserFixture fixture) : IClassFixture<ScopedKeysBrowserFixture>
{
    [Fact]
    public async Task ReadKey_BrowsesButIsNotOfferedCreateUploadOrDelete()
    {
        using HttpResponseMessage created = await fixture.Service.Client.PutAsync("/v1/collections/shown", JsonContent(new { model = "mobilenet-v2-140" })).DefaultTimeout();
        IPage page = await fixture.OpenAsync("collections", ScopedKeysBrowserFixture.ReadKey);

        await Expect(page.Locator("#key-state")).ToHaveTextAsync("saved in this browser · read scope");
        await page.Locator(".open-collection", new() { HasText = "shown" }).ClickAsync();
        await Expect(page.Locator(".detail-head h2")).ToHaveTextAsync("shown");
        await Expect(page.Locator(".detail-head .danger")).ToBeHiddenAsync();
        await Expect(page.Locator(".drop.wide")).ToBeHiddenAsync();
        await Expect(page.Locator("#create-form")).ToBeHiddenAsync();
        await Expect(page.Locator("nav a[data-view=search]")).ToBeVisibleAsync();
        await Screenshots.SaveAsync(page, "scope-read");
    }

    [Fact]
    public async Task EmbedKey_SeesOnlyTryIt()
    {
        IPage page = await fixture.OpenAsync("collections", ScopedKeysBrowserFixture.EmbedKey);

        await Expect(page.Locator("#key-state")).ToHaveTextAsync("saved in this browser · embed scope");
        await Expect(page.Locator("nav a[data-view=collections]")).ToBeHiddenAsync();
        await Expect(page.Locator("nav a[data-view=clusters]")).ToBeHiddenAsync();
        await Expect(page.Locator("#view-try")).ToBeVisibleAsync(); // asked for #collections, shown what it may use
        await Expect(page.Locator("#view-collections")).ToBeHiddenAsync();
    }

    [Fact]
    public async Task WrongKey_IsNotSaved_TheOneBeforeStays()
    {
        IPage page = await fixture.OpenAsync("try", ScopedKeysBrowserFixture.ReadKey);
        await Expect(page.Locator("#key-state")).ToHaveTextAsync("saved in this browser · read scope");

        await page.Locator("#api-key").FillAsync("not-a-key");
        await page.Locator("#key-form button").ClickAsync();

        await Expect(page.Locator("#message")).ToContainTextAsync("The service does not accept this API key; it was not saved.");
        Assert.Equal(ScopedKeysBrowserFixture.ReadKey, await page.EvaluateAsync<string>("localStorage.getItem('imageembed.apiKey')"));
        await Expect(page.Locator("#key-state")).ToHaveTextAsync("saved in this browser · read scope");
    }

    [Fact]
    public async Task KeyRevokedWhileOpen_OldDataGreyedOutUnderTheError()
    {
        using HttpResponseMessage created = await fixture.Service.Client.PutAsync("/v1/collections/stale", JsonContent(new { model = "mobilenet-v2-140" })).DefaultTimeout();
        (string key, Storage.Keys.StoredApiKey stored) = Storage.Keys.ApiKeyFile.Create(fixture.Service.DataDirectory, "revoked soon");
        await UntilKeyStatusAsync(key, HttpStatusCode.OK); // the service re-reads the key file at most once a second
        IPage page = await fixture.OpenAsync("collections", key);
        await Expect(page.Locator(".open-collection[data-name='stale']")).ToBeVisibleAsync();
        await Expect(page.Locator("#view-collections")).Not.ToHaveClassAsync(new System.Text.RegularExpressions.Regex("stale"));

        Assert.True(Storage.Keys.ApiKeyFile.Revoke(fixture.Service.DataDirectory, stored.Id));
        await UntilKeyStatusAsync(key, HttpStatusCode.Unauthorized);
        await page.Locator("nav a[data-view=collections]").ClickAsync();
        await page.EvaluateAsync("() => window.dispatchEvent(new HashChangeEvent('hashchange'))");

        await Expect(page.Locator("#message")).ToContainTextAsync("Enter your API key");
        await Expect(page.Locator("#view-collections")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("stale"));
    }

    [Fact]
    public async Task PageOnListedOrigin_CallsTheApiAndReadsItsHeaders()
    {
        IPage page = await BlankPageAsync(fixture.Images.Url("/blank"));
        JsonElement result = await FetchEmbeddingAsync(page);

        Assert.Equal(200, result.GetProperty("status").GetInt32());
        Assert.Equal(1792, result.GetProperty("dimensions").GetInt32());
        Assert.Matches("^es1-[0-9a-f]{16}$", result.GetProperty("space").GetString());
    }

    [Fact]
    public async Task PageOnAnotherOrigin_IsBlockedByTheBrowser()
    {
        // The same server by another name is another origin, and it is not listed.
        IPage page = await BlankPageAsync(fixture.Images.Url("/blank").Replace("127.0.0.1", "localhost", StringComparison.Ordinal));
        JsonElement result = await FetchEmbeddingAsync(page);

        Assert.Equal("TypeError", result.GetProperty("error").GetString());
    }

    private async Task<IPage> BlankPageAsync(string url)
    {
        IBrowserContext context = await fixture.Browser.NewContextAsync();
        context.SetDefaultTimeout(30_000);
        IPage page = await context.NewPageAsync();
        await page.GotoAsync(url);
        return page;
    }

    /// <summary>What the CoreViz seed's JavaScript does: fetch with x-api-key and a JSON body, from the page's origin.</summary>
    private async Task<JsonElement> FetchEmbeddingAsync(IPage page) =>
        await page.EvaluateAsync<JsonElement>("""
            async ([url, key, image]) => {
              try {
                const r = await fetch(url, { method: 'POST', headers: { 'x-api-key': key, 'Content-Type': 'application/json' }, body: JSON.stringify({ input: image }) });
                const body = await r.json();
                return { status: r.status, space: r.headers.get('X-Embedding-Space'), dimensions: body.data[0].embedding.length };
              } catch (e) {
                return { error: e.name };
              }
            }
            """, new object[] { new Uri(fixture.Service.Address, "/v1/embeddings").ToString(), ServiceServer.Key, TestImages.DataUri(TestPaths.DevFiles()[0]) });

    private async Task UntilKeyStatusAsync(string key, HttpStatusCode wanted)
    {
        using var probe = new HttpClient { BaseAddress = fixture.Service.Address };
        probe.DefaultRequestHeaders.Add("x-api-key", key);
        HttpStatusCode status = default;
        for (int i = 0; i < 50 && status != wanted; i++)
        {
            if (i > 0) await Task.Delay(100);
            using HttpResponseMessage r = await probe.GetAsync("/v1/key").DefaultTimeout();
            status = r.StatusCode;
        }
        Assert.Equal(wanted, status);
    }

    private static StringContent JsonContent(object value) => new(JsonSerializer.Serialize(value), System.Text.Encoding.UTF8, "application/json");
}
