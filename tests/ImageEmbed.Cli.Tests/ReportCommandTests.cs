using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using ImageEmbed.Tests;

namespace ImageEmbed.Cli.Tests;

/// <summary>dedup and cluster: JSON that names the groups, and HTML reports that real Chromium renders offline.</summary>
public sealed partial class ReportCommandTests : IDisposable
{
    private readonly CliWorkspace _work = new();

    public void Dispose() => _work.Dispose();

    [Fact]
    public async Task Dedup_ExactCopyAndReencodes_JsonKindsAndHtmlWithThumbnailsAndScoresRendersInChromium()
    {
        // Ten dev photos, one byte-identical copy of the first, and the candle photo in other formats.
        string dir = _work.CopyInto("lib", TestPaths.DevFiles().Take(10));
        File.Copy(TestPaths.DevFiles()[0], Path.Combine(dir, "copy-of-first.jpg"));
        _work.CopyInto("lib/formats", [TestPaths.Format("png_16bit.png"), TestPaths.Format("png_palette.png")]);
        Assert.Equal(0, (await _work.RunAsync("index", "lib", dir)).ExitCode);
        string json = _work.File("dups.json"), html = _work.File("dups.html");

        CliRunner.Result dedup = await _work.RunAsync("dedup", "lib", "-o", json, "--html", html);

        Assert.Equal(0, dedup.ExitCode);
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(json));
        JsonElement[] pairs = doc.RootElement.GetProperty("groups").EnumerateArray().SelectMany(g => g.GetProperty("pairs").EnumerateArray()).ToArray();
        string firstId = "lib/" + Path.GetFileName(TestPaths.DevFiles()[0]);
        // A pair names its ids in ordinal order.
        JsonElement copy = Assert.Single(pairs, p => p.GetProperty("a").GetString() == "lib/copy-of-first.jpg" && p.GetProperty("b").GetString() == firstId);
        Assert.Equal("exact", copy.GetProperty("kind").GetString());
        Assert.Equal(0, copy.GetProperty("phash_distance").GetInt32());
        Assert.Contains(pairs, p => p.GetProperty("a").GetString() == "lib/formats/png_16bit.png" && p.GetProperty("b").GetString() == "lib/formats/png_palette.png");

        string page = File.ReadAllText(html);
        int groups = doc.RootElement.GetProperty("groups").GetArrayLength();
        int members = doc.RootElement.GetProperty("groups").EnumerateArray().Sum(g => g.GetProperty("items").GetArrayLength());
        Assert.Equal(members, ThumbnailPattern().Matches(page).Count); // every member has its picture inline
        Assert.Equal(members, ScorePattern().Matches(page).Count);
        Assert.Contains($"{copy.GetProperty("score").GetSingle():F4}", page, StringComparison.Ordinal);
        Assert.Contains(">exact</span>", page, StringComparison.Ordinal);
        Assert.DoesNotContain("http://", page.Replace("http://www.w3.org", "", StringComparison.Ordinal), StringComparison.Ordinal); // nothing to fetch: opens offline
        Assert.True(groups >= 2);
        await AssertRendersAsync(html);
    }

    [Fact]
    public async Task Cluster_KMeans_EveryItemInOneClusterAndHtmlRendersInChromium()
    {
        string dir = _work.CopyInto("set", TestPaths.DevFiles().Take(12));
        Assert.Equal(0, (await _work.RunAsync("index", "set", dir)).ExitCode);
        string json = _work.File("c.json"), html = _work.File("c.html");

        CliRunner.Result cluster = await _work.RunAsync("cluster", "set", "-k", "3", "-o", json, "--html", html);

        Assert.Equal(0, cluster.ExitCode);
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(json));
        Assert.Equal("kmeans", doc.RootElement.GetProperty("method").GetString());
        string[] ids = doc.RootElement.GetProperty("clusters").EnumerateArray().SelectMany(c => c.GetProperty("items").EnumerateArray().Select(i => i.GetString()!)).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(TestPaths.DevFiles().Take(12).Select(f => "set/" + Path.GetFileName(f)).Order(StringComparer.Ordinal), ids);
        string page = File.ReadAllText(html);
        int shown = doc.RootElement.GetProperty("clusters").EnumerateArray().Where(c => c.GetProperty("items").GetArrayLength() > 1).Sum(c => c.GetProperty("items").GetArrayLength());
        Assert.Equal(shown, ThumbnailPattern().Matches(page).Count);
        Assert.Contains("cohesion", page, StringComparison.Ordinal);
        await AssertRendersAsync(html);
    }

    [Fact]
    public async Task Dedup_UnknownCollectionOrBadThreshold_ClearErrors()
    {
        CliRunner.Result missing = await _work.RunAsync("dedup", "nothing-here");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("error: No collection named 'nothing-here'.", missing.Stderr, StringComparison.Ordinal);
        CliRunner.Result bad = await _work.RunAsync("cluster", "x", "--threshold", "1.5");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--threshold must be a number within 0..1 (was '1.5').", bad.Stderr, StringComparison.Ordinal);
    }

    /// <summary>Headless Chromium screenshots the page; a blank or failed render leaves no (or a tiny, uniform) PNG.</summary>
    private async Task AssertRendersAsync(string html)
    {
        string png = Path.ChangeExtension(html, ".png");
        var info = new ProcessStartInfo("chromium") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + _work.File("chromium-profile"), $"--screenshot={png}", "--window-size=1280,900", new Uri(html).AbsoluteUri })
            info.ArgumentList.Add(a);
        using Process chromium = Process.Start(info)!;
        Task<string> stderr = chromium.StandardError.ReadToEndAsync();
        _ = chromium.StandardOutput.ReadToEndAsync();
        await chromium.WaitForExitAsync().DefaultTimeout();
        Assert.True(File.Exists(png), "Chromium wrote no screenshot: " + await stderr);
        byte[] bytes = File.ReadAllBytes(png);
        Assert.True(bytes.Length > 50_000, $"the screenshot is {bytes.Length} bytes: thumbnails did not render");
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
    }

    [GeneratedRegex("<img src=\"data:image/jpeg;base64,[A-Za-z0-9+/=]{500,}\"")]
    private static partial Regex ThumbnailPattern();

    [GeneratedRegex("<span class=\"score\">[01]\\.\\d{4}</span>")]
    private static partial Regex ScorePattern();
}
