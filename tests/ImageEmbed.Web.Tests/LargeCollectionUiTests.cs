using System.Net;
using System.Net.Http.Json;
using ImageEmbed.Service.Tests;
using ImageEmbed.Tests;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ImageEmbed.Web.Tests;

/// <summary>The web UI on a 500-item collection (items named by URL, as bulk jobs name them), and at phone width.</summary>
public sealed class LargeCollectionUiTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    private const string Name = "ui-large";
    private const int Count = 500;

    private static string Id(int i) => $"http://127.0.0.1:4000/photos/2026/img-{i:D5}.jpg";

    private async Task EnsureCollectionAsync()
    {
        HttpClient api = fixture.Service.Client;
        using HttpResponseMessage existing = await api.GetAsync($"/v1/collections/{Name}").DefaultTimeout();
        if (existing.StatusCode == HttpStatusCode.OK) return;
        Assert.Equal(HttpStatusCode.OK, (await api.PutAsJsonAsync($"/v1/collections/{Name}", new { model = "mobilenet-v2-140" }).DefaultTimeout()).StatusCode);
        var rng = new Random(2);
        for (int start = 0; start < Count; start += 250)
        {
            var items = Enumerable.Range(start, 250).Select(i => new { id = Id(i), vector = Enumerable.Range(0, 1792).Select(_ => rng.NextSingle() - 0.5f).ToArray() });
            using HttpResponseMessage upsert = await api.PostAsJsonAsync($"/v1/collections/{Name}/items", new { items }).DefaultTimeout();
            Assert.Equal(HttpStatusCode.OK, upsert.StatusCode);
        }
    }

    [Fact]
    public async Task Collection_500Items_PagesThroughAllWithReadableCaptions()
    {
        await EnsureCollectionAsync();
        IPage page = await fixture.OpenAsync("collections");
        await page.Locator($".open-collection[data-name='{Name}']").ClickAsync();

        ILocator tiles = page.Locator("#collection-grid .tile");
        ILocator status = page.Locator("#collection-pager .page-status");
        await Expect(status).ToHaveTextAsync($"1–200 of {Count}");
        await Expect(tiles).ToHaveCountAsync(200);
        await Expect(page.Locator(".page-prev")).ToBeDisabledAsync();
        // The end of the id, where URLs differ, not "http://127.0.0.1:4…" on every tile.
        await Expect(tiles.First.Locator(".caption")).ToHaveTextAsync("img-00000.jpg");
        await Expect(tiles.First.Locator(".caption")).ToHaveAttributeAsync("title", Id(0));

        await page.Locator(".page-next").ClickAsync();
        await Expect(status).ToHaveTextAsync($"201–400 of {Count}");
        await Expect(tiles.First).ToHaveAttributeAsync("data-id", Id(200));

        await page.Locator(".page-next").ClickAsync();
        await Expect(status).ToHaveTextAsync($"401–500 of {Count}");
        await Expect(tiles).ToHaveCountAsync(100);
        await Expect(tiles.Last).ToHaveAttributeAsync("data-id", Id(Count - 1));
        await Expect(page.Locator(".page-next")).ToBeDisabledAsync();

        await page.Locator(".page-prev").ClickAsync();
        await Expect(status).ToHaveTextAsync($"201–400 of {Count}");
        await Screenshots.SaveAsync(page, "collection-paging");
    }

    [Fact]
    public async Task ClusterMap_500Items_DotsInClusterColoursAndAListWithCounts()
    {
        await EnsureCollectionAsync();
        IPage page = await fixture.OpenAsync("collections");
        await page.Locator($".open-collection[data-name='{Name}']").ClickAsync();
        await page.Locator("nav a[data-view='clusters']").ClickAsync();

        await Expect(page.Locator("#map .point")).ToHaveCountAsync(Count);
        await Expect(page.Locator("#map .point.dot")).ToHaveCountAsync(Count); // too many for thumbnails to stay apart
        string[] counts = (await page.Locator(".cluster-link").AllTextContentsAsync()).ToArray();
        int[] sizes = counts.Select(c => int.Parse(System.Text.RegularExpressions.Regex.Match(c, @": (\d+) item").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(Count, sizes.Sum());
        Assert.Equal(sizes.OrderByDescending(n => n), sizes); // largest first

        await page.Locator(".cluster-link").First.ClickAsync();
        await Expect(page.Locator("#map-cluster .tile")).ToHaveCountAsync(sizes[0]);
        await Screenshots.SaveAsync(page, "cluster-map-500");
    }

    [Fact]
    public async Task PhoneWidth_HeaderFitsAndTheKeyCanBeEntered()
    {
        await EnsureCollectionAsync();
        IBrowserContext context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = fixture.Service.Address.ToString(),
            ViewportSize = new ViewportSize { Width = 375, Height = 740 },
        });
        context.SetDefaultTimeout(30_000);
        IPage page = await context.NewPageAsync();
        await page.GotoAsync("/#collections");

        // Without a key, the model list says why it is empty.
        await Expect(page.Locator("#create-model option")).ToHaveTextAsync("enter your API key to list models");
        await page.Locator("#api-key").FillAsync(ServiceServer.Key);
        await page.Locator("#key-form button").ClickAsync();
        await Expect(page.Locator("#key-state")).ToHaveTextAsync("saved in this browser · admin scope");
        await Expect(page.Locator($".open-collection[data-name='{Name}']")).ToBeVisibleAsync();

        Assert.True(await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways at 375 px");
        foreach (string selector in new[] { "header h1", "nav a[data-view=clusters]", "#api-key", "#key-form button" })
        {
            LocatorBoundingBoxResult box = (await page.Locator(selector).BoundingBoxAsync())!;
            Assert.True(box.X >= 0 && box.X + box.Width <= 375, $"{selector} is outside the 375 px screen ({box.X} + {box.Width})");
        }
        await Screenshots.SaveAsync(page, "phone-header");
    }
}
