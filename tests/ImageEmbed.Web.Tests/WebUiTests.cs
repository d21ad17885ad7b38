using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using ImageEmbed.Imaging.Vips;
using ImageEmbed.Service.Tests;
using ImageEmbed.Tests;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ImageEmbed.Web.Tests;

/// <summary>The web UI in a real Chromium against the real service: what a user sees must be what the API says.</summary>
public sealed class WebUiTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>, IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("imageembed-ui-").FullName;

    private static readonly string[] Photos = TestPaths.DevFiles();
    private HttpClient Api => fixture.Service.Client;

    [Fact]
    public async Task TryIt_DevPhoto_ShowsTheApisDimensionsAndValues()
    {
        IPage page = await fixture.OpenAsync("try");
        string a = Photos[0], b = Photos[1];
        float[] expectedA = await EmbedAsync(a), expectedB = await EmbedAsync(b);

        await page.Locator("#try-a .file-input").SetInputFilesAsync(a);
        ILocator pane = page.Locator("#try-a");
        await Expect(pane.Locator(".dimensions")).ToHaveTextAsync(expectedA.Length.ToString(CultureInfo.InvariantCulture));
        await Expect(pane.Locator(".model")).ToHaveTextAsync("mobilenet-v2-140");
        await Expect(pane.Locator(".norm")).ToHaveTextAsync("1.000000");
        IReadOnlyList<string> shown = await pane.Locator(".value").EvaluateAllAsync<string[]>("nodes => nodes.map(n => n.dataset.value)");
        Assert.Equal(8, shown.Count);
        for (int i = 0; i < shown.Count; i++) Assert.Equal(expectedA[i], float.Parse(shown[i], CultureInfo.InvariantCulture));
        await Expect(pane.Locator(".timing .stage")).ToHaveTextAsync(["decode", "preprocess", "queue", "inference", "round trip"]);
        await Expect(pane.Locator(".sparkline polyline")).ToHaveCountAsync(1);

        await page.Locator("#try-b .file-input").SetInputFilesAsync(b);
        float cosine = System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(expectedA, expectedB);
        await Expect(page.Locator("#compare .cosine")).ToHaveTextAsync(cosine.ToString("F4", CultureInfo.InvariantCulture));
        await Screenshots.SaveAsync(page, "try-it");
    }

    [Fact]
    public async Task TryIt_DroppedFileThenPastedImage_EmbedBothAsTheApiDoes()
    {
        IPage page = await fixture.OpenAsync("try");
        string a = Photos[5], b = Photos[6];
        float[] expectedA = await EmbedAsync(a), expectedB = await EmbedAsync(b);

        // What a browser hands the page when a file is dragged onto the drop zone, or an image pasted.
        await using IJSHandle dropped = await FilesAsync(page, a);
        await page.Locator("#try-a .drop").DispatchEventAsync("drop", new { dataTransfer = dropped });
        await ExpectValuesAsync(page.Locator("#try-a"), expectedA);

        await using IJSHandle pasted = await FilesAsync(page, b);
        await page.EvaluateAsync("dt => document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true }))", pasted);
        await ExpectValuesAsync(page.Locator("#try-b"), expectedB); // the first pane is taken, so the paste fills the second
        float cosine = System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(expectedA, expectedB);
        await Expect(page.Locator("#compare .cosine")).ToHaveTextAsync(cosine.ToString("F4", CultureInfo.InvariantCulture));
    }

    private static Task<IJSHandle> FilesAsync(IPage page, string file) =>
        page.EvaluateHandleAsync("""
            ([name, base64]) => {
              const bytes = Uint8Array.from(atob(base64), c => c.charCodeAt(0));
              const data = new DataTransfer();
              data.items.add(new File([bytes], name, { type: 'image/jpeg' }));
              return data;
            }
            """, new object[] { Path.GetFileName(file), Convert.ToBase64String(File.ReadAllBytes(file)) });

    private static async Task ExpectValuesAsync(ILocator pane, float[] expected)
    {
        await Expect(pane.Locator(".dimensions")).ToHaveTextAsync(expected.Length.ToString(CultureInfo.InvariantCulture));
        IReadOnlyList<string> shown = await pane.Locator(".value").EvaluateAllAsync<string[]>("nodes => nodes.map(n => n.dataset.value)");
        Assert.Equal(8, shown.Count);
        for (int i = 0; i < shown.Count; i++) Assert.Equal(expected[i], float.Parse(shown[i], CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task TryIt_PastedUrl_EmbedsItAndCopiesTheJsonAndAnEquivalentCurl()
    {
        IPage page = await fixture.OpenAsync("try");
        string url = fixture.Images.Dev(Path.GetFileName(Photos[3]));
        float[] expected = await EmbedAsync(Photos[3]);

        await page.Locator("#try-a .url-input").FillAsync(url);
        await page.Locator("#try-a form button").ClickAsync();
        await Expect(page.Locator("#try-a .dimensions")).ToHaveTextAsync("1792");
        await Expect(page.Locator("#try-a .source")).ToHaveTextAsync(url);

        await page.Locator("#try-a .copy-json").ClickAsync();
        JsonElement copied = JsonDocument.Parse(await ClipboardAsync(page)).RootElement;
        Assert.Equal(expected, copied.GetProperty("embedding").EnumerateArray().Select(e => e.GetSingle()));
        Assert.Equal("mobilenet-v2-140", copied.GetProperty("model").GetString());

        await page.Locator("#try-a .copy-curl").ClickAsync();
        string curl = await ClipboardAsync(page);
        Assert.Equal($"curl -X POST {fixture.Service.Address.ToString().TrimEnd('/')}/api/ai/embeddings -H \"Authorization: Bearer $IMAGEEMBED_API_KEY\" " +
            $"-H \"Content-Type: application/json\" -d '{{\"image\":\"{url}\",\"model\":\"mobilenet-v2-140\"}}'", curl);

        // Pasting the same URL onto the page embeds it as image B: the same image, cosine 1.
        await page.EvaluateAsync("url => { const data = new DataTransfer(); data.setData('text/plain', url); document.body.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true })); }", url);
        await Expect(page.Locator("#try-b .source")).ToHaveTextAsync(url);
        await Expect(page.Locator("#compare .cosine")).ToHaveTextAsync("1.0000");
    }

    [Fact]
    public async Task TryIt_NotAnImage_ShowsTheApisMessage()
    {
        IPage page = await fixture.OpenAsync("try");
        byte[] text = "this is not an image, whatever its name says"u8.ToArray();
        string expected = await ApiErrorMessageAsync(text, "holiday.jpg", HttpStatusCode.UnprocessableEntity);

        await page.Locator("#try-a .file-input").SetInputFilesAsync(new FilePayload { Name = "holiday.jpg", MimeType = "image/jpeg", Buffer = text });
        ILocator error = page.Locator("#try-a .error");
        await Expect(error).ToContainTextAsync(expected);
        await Expect(error).ToContainTextAsync("Not a usable image");
        await Screenshots.SaveAsync(page, "error-bad-image");
    }

    [Fact]
    public async Task TryIt_NoKey_AsksForTheKeyAndWorksOnceItIsEntered()
    {
        IPage page = await fixture.OpenAsync("try", key: null);
        await page.Locator("#try-a .file-input").SetInputFilesAsync(Photos[2]);
        await Expect(page.Locator("#try-a .error")).ToContainTextAsync("Enter your API key");
        await Expect(page.Locator("#try-a .error")).ToContainTextAsync("Invalid or missing API key");
        await Screenshots.SaveAsync(page, "error-no-key");

        await page.Locator("#api-key").FillAsync(ServiceServer.Key);
        await page.Locator("#key-form button").ClickAsync();
        await Expect(page.Locator("#key-state")).ToHaveTextAsync("saved in this browser · admin scope");
        await page.Locator("#try-a .file-input").SetInputFilesAsync(Photos[2]);
        await Expect(page.Locator("#try-a .dimensions")).ToHaveTextAsync("1792");
        Assert.Equal(ServiceServer.Key, await page.EvaluateAsync<string>("localStorage.getItem('imageembed.apiKey')"));
    }

    [Fact]
    public async Task Collections_UploadThenClickAThumbnail_FindsItFirst()
    {
        IPage page = await fixture.OpenAsync("collections");
        string name = "ui-search";
        await page.Locator("#create-name").FillAsync(name);
        await page.Locator("#create-form button").ClickAsync();
        await Expect(page.Locator("#collection-detail h2")).ToHaveTextAsync(name);

        string[] files = Photos.Skip(10).Take(5).ToArray();
        await page.Locator("#upload-input").SetInputFilesAsync(files);
        await Expect(page.Locator("#upload-progress .progress-text")).ToContainTextAsync("5 of 5 uploaded");
        await Expect(page.Locator("#collection-grid .tile")).ToHaveCountAsync(5);
        JsonElement collection = await Api.GetFromJsonAsync<JsonElement>($"/v1/collections/{name}").DefaultTimeout();
        Assert.Equal(5, collection.GetProperty("count").GetInt32());
        await Screenshots.SaveAsync(page, "collections");

        string clicked = Path.GetFileName(files[3]);
        await page.Locator($"#collection-grid .tile[data-id='{clicked}']").ClickAsync();
        ILocator results = page.Locator("#search-results .tile");
        await Expect(results).ToHaveCountAsync(5);
        await Expect(results.First).ToHaveAttributeAsync("data-id", clicked);
        await Expect(results.First.Locator(".score")).ToHaveTextAsync("1.000");
        await Screenshots.SaveAsync(page, "search");

        // Text search needs a CLIP-family model: the UI shows the service's explanation.
        await page.Locator("#search-text").FillAsync("a bird on a branch");
        await page.Locator("#text-search-form button").ClickAsync();
        string expected = await SearchErrorAsync(name, new { text = "a bird on a branch" });
        await Expect(page.Locator("#search-results .error")).ToContainTextAsync(expected);
    }

    [Fact]
    public async Task Duplicates_AugmentedCopy_IsShownWithItsSource()
    {
        string name = "ui-duplicates";
        (string source, string copy, string[] others) = await PrepareUploadAsync(name, Photos[20], Photos.Skip(30).Take(4));
        IPage page = await fixture.OpenAsync("collections");
        await page.Locator($".open-collection[data-name='{name}']").ClickAsync();
        await page.Locator("#upload-input").SetInputFilesAsync([source, copy, .. others]);
        await Expect(page.Locator("#upload-progress .progress-text")).ToContainTextAsync("6 of 6 uploaded");

        await page.Locator("nav a[data-view='duplicates']").ClickAsync();
        ILocator group = page.Locator("#dup-groups .dup-group");
        await Expect(group).ToHaveCountAsync(1);
        await Expect(group.Locator(".tile")).ToHaveCountAsync(2);
        IReadOnlyList<string> ids = await group.Locator(".tile").EvaluateAllAsync<string[]>("nodes => nodes.map(n => n.dataset.id)");
        Assert.Equal(new[] { Path.GetFileName(copy), Path.GetFileName(source) }.Order(StringComparer.Ordinal), ids);

        // Until the slider moves, the model's calibrated default threshold applies and is shown.
        JsonElement api = await PostJsonAsync($"/v1/collections/{name}/duplicates", new { });
        await Expect(page.Locator("#dup-threshold-value")).ToHaveTextAsync(api.GetProperty("threshold").GetSingle().ToString("F2", CultureInfo.InvariantCulture));
        float score = api.GetProperty("groups")[0].GetProperty("pairs")[0].GetProperty("score").GetSingle();
        await Expect(group.Locator(".pairs .score")).ToHaveTextAsync(score.ToString("F3", CultureInfo.InvariantCulture));
        await Screenshots.SaveAsync(page, "duplicates");

        // Lowering the threshold far enough links everything into one group.
        await page.Locator("#dup-threshold").FillAsync("0.5");
        await Expect(page.Locator("#dup-threshold-value")).ToHaveTextAsync("0.50");
        JsonElement loose = await PostJsonAsync($"/v1/collections/{name}/duplicates", new { threshold = 0.5 });
        await Expect(group).ToHaveCountAsync(loose.GetProperty("groups").GetArrayLength());
    }

    [Fact]
    public async Task Clusters_Map_ShowsEveryItemAndOpensACluster()
    {
        string name = "ui-clusters";
        (string source, string copy, string[] others) = await PrepareUploadAsync(name, Photos[40], Photos.Skip(50).Take(9));
        IPage page = await fixture.OpenAsync("collections");
        await page.Locator($".open-collection[data-name='{name}']").ClickAsync();
        await page.Locator("#upload-input").SetInputFilesAsync([source, copy, .. others]);
        await Expect(page.Locator("#upload-progress .progress-text")).ToContainTextAsync("11 of 11 uploaded");

        await page.Locator("nav a[data-view='clusters']").ClickAsync();
        await Expect(page.Locator("#map .point")).ToHaveCountAsync(11);
        JsonElement map = await PostJsonAsync($"/v1/collections/{name}/map", new { });
        int clusters = map.GetProperty("clusters").GetArrayLength();
        await Expect(page.Locator("#map-legend .cluster-link")).ToHaveCountAsync(clusters);

        // Near-identical images land on one spot of the map; each is still drawn where it can be seen and clicked.
        float[][] boxes = await page.Locator("#map .point").EvaluateAllAsync<float[][]>(
            "nodes => nodes.map(n => { const r = n.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })");
        for (int i = 0; i < boxes.Length; i++)
            for (int j = i + 1; j < boxes.Length; j++)
                Assert.False(boxes[i][0] < boxes[j][2] - 1 && boxes[j][0] < boxes[i][2] - 1 && boxes[i][1] < boxes[j][3] - 1 && boxes[j][1] < boxes[i][3] - 1,
                    $"points {i} and {j} overlap: [{string.Join(", ", boxes[i])}] and [{string.Join(", ", boxes[j])}]");

        // The source and its copy sit in one cluster; clicking either opens the cluster with both.
        await page.Locator($"#map .point[data-id='{Path.GetFileName(copy)}']").ClickAsync();
        await Expect(page.Locator($"#map-cluster .tile[data-id='{Path.GetFileName(source)}']")).ToHaveCountAsync(1);
        await page.Locator($"#map .point[data-id='{Path.GetFileName(source)}']").ClickAsync();
        ILocator members = page.Locator("#map-cluster .tile");
        await Expect(members.And(page.Locator($"[data-id='{Path.GetFileName(copy)}']"))).ToHaveCountAsync(1);
        int cluster = map.GetProperty("points").EnumerateArray().First(p => p.GetProperty("id").GetString() == Path.GetFileName(copy)).GetProperty("cluster").GetInt32();
        await Expect(members).ToHaveCountAsync(map.GetProperty("clusters")[cluster].GetProperty("items").GetArrayLength());
        await page.Mouse.MoveAsync(0, 0);
        await Screenshots.SaveAsync(page, "clusters");
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>Creates the collection and writes a resized (80%), re-encoded (JPEG quality 60) copy of <paramref name="photo"/> to upload beside it.</summary>
    private async Task<(string Source, string Copy, string[] Others)> PrepareUploadAsync(string name, string photo, IEnumerable<string> others)
    {
        using (HttpResponseMessage created = await Api.PutAsJsonAsync($"/v1/collections/{name}", new { model = "default" }).DefaultTimeout())
            Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        string copy = Path.Combine(_folder, "copy-of-" + Path.GetFileNameWithoutExtension(photo) + ".jpg");
        using (VipsImage image = VipsImage.LoadFromBuffer(File.ReadAllBytes(photo), "", out _))
        using (VipsImage small = image.Resize(0.8, 0.8, "lanczos3"))
            File.WriteAllBytes(copy, small.WriteToBuffer(".jpg[Q=60]"));
        return (photo, copy, others.ToArray());
    }

    private static async Task<string> ClipboardAsync(IPage page) => await page.EvaluateAsync<string>("navigator.clipboard.readText()");

    private async Task<float[]> EmbedAsync(string file)
    {
        using var form = new MultipartFormDataContent { { new ByteArrayContent(File.ReadAllBytes(file)), "image", Path.GetFileName(file) } };
        using HttpResponseMessage response = await Api.PostAsync("/api/ai/embeddings", form).DefaultTimeout();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonElement body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return body.GetProperty("embedding").EnumerateArray().Select(e => e.GetSingle()).ToArray();
    }

    private async Task<string> ApiErrorMessageAsync(byte[] bytes, string fileName, HttpStatusCode status)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        using var form = new MultipartFormDataContent { { content, "image", fileName } };
        using HttpResponseMessage response = await Api.PostAsync("/api/ai/embeddings", form).DefaultTimeout();
        Assert.Equal(status, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("message").GetString()!;
    }

    private async Task<string> SearchErrorAsync(string name, object body)
    {
        using HttpResponseMessage response = await Api.PostAsJsonAsync($"/v1/collections/{name}/search", body).DefaultTimeout();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("message").GetString()!;
    }

    private async Task<JsonElement> PostJsonAsync(string path, object body)
    {
        using HttpResponseMessage response = await Api.PostAsJsonAsync(path, body).DefaultTimeout();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).Clone();
    }
}
