using System.Text.Json;
using ImageEmbed.Tests;
using Xunit.Abstractions;

namespace ImageEmbed.Cli.Tests;

public sealed class IndexCommandTests(ITestOutputHelper output) : IDisposable
{
    /// <summary>The files of ../shared/images/formats that are not usable images, and why (its README).</summary>
    private static readonly Dictionary<string, string> BadFormats = new()
    {
        ["bomb_16000x16000.png"] = "The image is 16000x16000 (256,000,000 pixels); the limit is 100,000,000 pixels.",
        ["empty.jpg"] = "The image is empty (0 bytes).",
        ["html_renamed.png"] = "The data is not a supported image",
        ["not_an_image.jpg"] = "The data is not a supported image",
        ["svg_with_external_ref.svg"] = "The data is not a supported image",
        ["truncated.jpg"] = "premature end of JPEG image",
    };

    private readonly CliWorkspace _work = new();

    public void Dispose() => _work.Dispose();

    [Fact]
    public async Task Index_DevAndFormats_EveryGoodImageOnceEveryBadFileWithReason_SecondRunEmbedsNothing()
    {
        string report = _work.File("report.json");

        CliRunner.Result first = await _work.RunAsync("index", "photos", TestPaths.DevImages, TestPaths.FormatImages, "--report", report);

        Assert.Equal(1, first.ExitCode);
        string[] goodFormats = Directory.GetFiles(TestPaths.FormatImages).Select(Path.GetFileName).Where(f => !f!.EndsWith(".md", StringComparison.Ordinal) && !BadFormats.ContainsKey(f)).ToArray()!;
        var expected = TestPaths.DevFiles().Select(f => "dev/" + Path.GetFileName(f)).Concat(goodFormats.Select(f => "formats/" + f)).Order(StringComparer.Ordinal).ToArray();
        using (JsonDocument doc = JsonDocument.Parse(File.ReadAllText(report)))
        {
            JsonElement r = doc.RootElement;
            Assert.Equal(expected.Length, r.GetProperty("indexed").GetInt32());
            Assert.Equal(BadFormats.Count, r.GetProperty("failed").GetInt32());
            var failures = r.GetProperty("failures").EnumerateArray().ToDictionary(f => Path.GetFileName(f.GetProperty("source").GetString()!), f => f.GetProperty("error").GetString()!);
            Assert.Equal(BadFormats.Keys.Order(), failures.Keys.Order());
            foreach ((string file, string reason) in BadFormats)
            {
                Assert.Contains(reason, failures[file], StringComparison.Ordinal);
                Assert.Contains($"  {TestPaths.Format(file)}: ", first.Stderr, StringComparison.Ordinal);
            }
        }
        Assert.Contains($"indexed {expected.Length} new or changed item(s), skipped 0 unchanged, {BadFormats.Count} failed", first.Stderr, StringComparison.Ordinal);
        Assert.Equal(expected, await ExportedIdsAsync("photos"));

        CliRunner.Result second = await _work.RunAsync("index", "photos", TestPaths.DevImages, TestPaths.FormatImages);

        Assert.Contains($"nothing new to embed: {expected.Length} unchanged item(s) skipped, {BadFormats.Count} failed; collection 'photos' has {expected.Length} item(s) (was {expected.Length}).", second.Stderr, StringComparison.Ordinal);
        Assert.Equal(expected, await ExportedIdsAsync("photos"));
    }

    [Fact]
    public async Task Index_KilledHalfway_RerunFinishesTheRestWithoutDuplicates()
    {
        // 200 distinct files (each dev photo twice, the copy's bytes changed by one trailing byte).
        string a = _work.CopyInto("shots/a", TestPaths.DevFiles());
        string b = _work.CopyInto("shots/b", TestPaths.DevFiles());
        foreach (string f in Directory.GetFiles(b)) File.AppendAllText(f, "x");
        var expected = Directory.GetFiles(a).Concat(Directory.GetFiles(b)).Select(f => "shots/" + Path.GetRelativePath(Path.Combine(_work.Root, "shots"), f).Replace('\\', '/')).Order(StringComparer.Ordinal).ToArray();
        string shots = Path.Combine(_work.Root, "shots");

        using (System.Diagnostics.Process run = _work.Start("index", "album", shots))
        {
            long seen = 0;
            while (!run.HasExited && (seen = _work.CommittedCount("album")) < 32) await Task.Delay(10);
            Assert.False(run.HasExited, "the run ended before it could be interrupted");
            run.Kill(); // SIGKILL, mid-run
            await run.WaitForExitAsync().DefaultTimeout();
            output.WriteLine($"killed with {seen} of {expected.Length} committed");
        }
        long committed = _work.CommittedCount("album");
        Assert.InRange(committed, 32, expected.Length - 1);

        CliRunner.Result rerun = await _work.RunAsync("index", "album", shots);

        Assert.Equal(0, rerun.ExitCode);
        Assert.Contains($"indexed {expected.Length - committed} new or changed item(s), skipped {committed} unchanged, 0 failed, of {expected.Length} input(s)", rerun.Stderr, StringComparison.Ordinal);
        Assert.Equal(expected, await ExportedIdsAsync("album")); // every file exactly once
    }

    [Fact]
    public async Task Index_ChangedFile_IsEmbeddedAgainAndReplaced()
    {
        string dir = _work.CopyInto("pics", TestPaths.DevFiles().Take(3));
        Assert.Equal(0, (await _work.RunAsync("index", "pics", dir)).ExitCode);
        string changed = Directory.GetFiles(dir).Order(StringComparer.Ordinal).First();
        File.Copy(TestPaths.DevFiles()[10], changed, overwrite: true);

        CliRunner.Result again = await _work.RunAsync("index", "pics", dir);

        Assert.Contains("indexed 1 new or changed item(s), skipped 2 unchanged, 0 failed", again.Stderr, StringComparison.Ordinal);
        CliRunner.Result search = await _work.RunAsync("search", "pics", "--image", TestPaths.DevFiles()[10], "-k", "1");
        Assert.Matches(@"\n *1  1\.0000  pics/" + Path.GetFileName(changed).Replace(".", "\\."), search.Stdout);
    }

    [Fact]
    public async Task Index_UrlCsv_FetchesEachUrlKeepsColumnsAsMetadataAndRefusesPrivateAddressesByDefault()
    {
        await using var server = await LoopbackImageServer.StartAsync();
        string csv = _work.File("urls.csv");
        File.WriteAllLines(csv,
        [
            "id,url,album",
            $"first,{server.Url(TestPaths.DevFiles()[0])},pets",
            $"second,\"{server.Url(TestPaths.DevFiles()[1])}\",\"cars, old\"",
            $"broken,{server.Url(TestPaths.Format("truncated.jpg"))},x",
            "nourl,not a url,y",
        ]);

        CliRunner.Result refused = await _work.RunAsync("index", "web", csv);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("resolves to 127.0.0.1, a loopback, private, link-local or otherwise non-public address; refused.", refused.Stderr, StringComparison.Ordinal);

        CliRunner.Result allowed = await _work.RunAsync(new Dictionary<string, string> { ["IMAGEEMBED_ALLOW_PRIVATE_URLS"] = "true" }, "index", "web", csv, "--report", _work.File("r.json"));

        Assert.Equal(1, allowed.ExitCode);
        Assert.Contains($"{csv}:5: no http(s) URL on this line", allowed.Stderr, StringComparison.Ordinal);
        Assert.Contains("premature end of JPEG image", allowed.Stderr, StringComparison.Ordinal);
        string jsonl = _work.File("web.jsonl");
        Assert.Equal(0, (await _work.RunAsync("export", "web", "-o", jsonl)).ExitCode);
        var items = File.ReadAllLines(jsonl).Select(l => JsonDocument.Parse(l).RootElement).ToDictionary(e => e.GetProperty("id").GetString()!);
        Assert.Equal(["first", "second"], items.Keys.Order());
        Assert.Equal("cars, old", items["second"].GetProperty("metadata").GetProperty("album").GetString());
        Assert.Equal(server.Url(TestPaths.DevFiles()[0]), items["first"].GetProperty("source").GetString());
    }

    private async Task<string[]> ExportedIdsAsync(string collection)
    {
        string file = _work.File($"{collection}-{Guid.NewGuid():N}.jsonl");
        CliRunner.Result export = await _work.RunAsync("export", collection, "-o", file);
        Assert.Equal(0, export.ExitCode);
        return File.ReadAllLines(file).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("id").GetString()!).ToArray();
    }
}
