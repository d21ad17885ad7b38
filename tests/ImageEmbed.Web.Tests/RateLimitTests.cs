using ImageEmbed.Tests;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ImageEmbed.Web.Tests;

public sealed class RateLimitTests(RateLimitedBrowserFixture fixture) : IClassFixture<RateLimitedBrowserFixture>
{
    [Fact]
    public async Task TryIt_OverTheRateLimit_SaysToWaitAndQuotesTheService()
    {
        IPage page = await fixture.OpenAsync("try");
        string photo = TestPaths.DevFiles()[5];
        // The page itself spent one request (GET /v1/models); the first embedding spends the second.
        await page.Locator("#try-a .file-input").SetInputFilesAsync(photo);
        await Expect(page.Locator("#try-a .dimensions")).ToHaveTextAsync("1792");

        await page.Locator("#try-b .file-input").SetInputFilesAsync(photo);
        ILocator error = page.Locator("#try-b .error");
        await Expect(error).ToContainTextAsync("Rate limited: wait");
        using HttpResponseMessage response = await fixture.Service.Client.GetAsync("/v1/models").DefaultTimeout();
        Assert.Equal(System.Net.HttpStatusCode.TooManyRequests, response.StatusCode);
        string message = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("message").GetString()!;
        await Expect(error).ToContainTextAsync(message);
        await Screenshots.SaveAsync(page, "error-rate-limited");
    }
}
