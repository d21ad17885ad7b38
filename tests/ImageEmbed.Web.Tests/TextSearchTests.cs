using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ImageEmbed.Tests;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ImageEmbed.Web.Tests;

public sealed class TextSearchTests(ClipBrowserFixture fixture) : IClassFixture<ClipBrowserFixture>
{
    [Fact]
    public async Task Search_ByText_ShowsTheApisRankingAndScores()
    {
        const string name = "ui-text";
        IPage page = await fixture.OpenAsync("collections");
        await page.Locator("#create-name").FillAsync(name);
        await page.Locator("#create-form button").ClickAsync();
        await Expect(page.Locator("#collection-detail h2")).ToHaveTextAsync(name);
        await page.Locator("#upload-input").SetInputFilesAsync(TestPaths.DevFiles().Skip(60).Take(4).ToArray());
        await Expect(page.Locator("#upload-progress .progress-text")).ToContainTextAsync("4 of 4 uploaded");

        await page.Locator("nav a[data-view='search']").ClickAsync();
        await page.Locator("#search-text").FillAsync("a photo of a dog");
        await page.Locator("#text-search-form button").ClickAsync();

        using HttpResponseMessage response = await fixture.Service.Client.PostAsJsonAsync($"/v1/collections/{name}/search", new { text = "a photo of a dog", k = 12 }).DefaultTimeout();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonElement[] hits = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal(4, hits.Length);
        ILocator tiles = page.Locator("#search-results .tile");
        await Expect(tiles).ToHaveCountAsync(4);
        Assert.Equal(hits.Select(h => h.GetProperty("id").GetString()), await tiles.EvaluateAllAsync<string[]>("nodes => nodes.map(n => n.dataset.id)"));
        await Expect(tiles.Locator(".score")).ToHaveTextAsync(hits.Select(h => h.GetProperty("score").GetSingle().ToString("F3", CultureInfo.InvariantCulture)).ToArray());
        await Screenshots.SaveAsync(page, "search-text");
    }
}
