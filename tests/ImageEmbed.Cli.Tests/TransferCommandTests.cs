using System.Text.Json;
using ImageEmbed.Tests;

namespace ImageEmbed.Cli.Tests;

/// <summary>export in each format and import back: the same ids, vectors, metadata and sources.</summary>
public sealed class TransferCommandTests : IDisposable
{
    private readonly CliWorkspace _work = new();

    public void Dispose() => _work.Dispose();

    [Fact]
    public async Task Export_ToStandardOutputIntoHead_PrintsThreeLinesAndExits()
    {
        if (OperatingSystem.IsWindows()) return;
        // 2,000 items of 1792-d (~40 MB of JSON): far more than a pipe holds, so the export is still writing when head exits.
        var rng = new Random(5);
        await File.WriteAllLinesAsync(_work.File("many.jsonl"), Enumerable.Range(0, 2000).Select(i =>
            JsonSerializer.Serialize(new { id = $"item-{i:D5}", vector = Enumerable.Range(0, 1792).Select(_ => rng.NextSingle() - 0.5f) })));
        Assert.Equal(0, (await _work.RunAsync("import", "many", _work.File("many.jsonl"), "--model", "mobilenet-v2-140")).ExitCode);

        var info = new System.Diagnostics.ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("dotnet \"$0\" export many -o - | head -3; echo \"export exit ${PIPESTATUS[0]}\"");
        info.ArgumentList.Add(TestPaths.CliDll);
        TestProcesses.SetEnvironment(info, new Dictionary<string, string> { ["IMAGEEMBED_MODELS_DIR"] = TestPaths.ModelsDir, ["IMAGEEMBED_DATA_DIR"] = _work.Data });
        using System.Diagnostics.Process shell = System.Diagnostics.Process.Start(info)!;
        Task<string> stderr = shell.StandardError.ReadToEndAsync();
        string[] lines = (await shell.StandardOutput.ReadToEndAsync().DefaultTimeout()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        await shell.WaitForExitAsync().DefaultTimeout();

        Assert.Equal(["item-00000", "item-00001", "item-00002"], lines[..3].Select(l => JsonDocument.Parse(l).RootElement.GetProperty("id").GetString()));
        Assert.Equal("export exit 0", lines[3]);
        Assert.Equal(4, lines.Length);
        Assert.Equal("", (await stderr).Trim()); // no stack trace, no error: the reader simply went away

        CliRunner.Result npy = await _work.RunAsync("export", "many", "-o", "-", "--format", "npy");
        Assert.Equal(2, npy.ExitCode);
        Assert.Contains(".npy needs a file", npy.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("jsonl")]
    [InlineData("csv")]
    [InlineData("npy")]
    public async Task ExportThenImport_SameItemsAndVectors(string format)
    {
        string dir = _work.CopyInto("src", TestPaths.DevFiles().Take(5));
        Assert.Equal(0, (await _work.RunAsync("index", "orig", dir)).ExitCode);
        string file = _work.File("out." + format);

        CliRunner.Result export = await _work.RunAsync("export", "orig", "-o", file);
        Assert.Equal(0, export.ExitCode);
        Assert.Contains("exported 5 item(s) of 'orig' (mobilenet-v2-140, 1792-d)", export.Stderr, StringComparison.Ordinal);
        CliRunner.Result import = await _work.RunAsync("import", "copy", file, "--model", "mobilenet-v2-140");
        Assert.Equal(0, import.ExitCode);
        Assert.Contains("imported 5 item(s) into 'copy' (mobilenet-v2-140); it has 5 item(s).", import.Stderr, StringComparison.Ordinal);

        Dictionary<string, JsonElement> original = await ReadAsync("orig"), copy = await ReadAsync("copy");
        Assert.Equal(original.Keys.Order(), copy.Keys.Order());
        foreach ((string id, JsonElement item) in original)
        {
            float[] a = item.GetProperty("vector").EnumerateArray().Select(v => v.GetSingle()).ToArray();
            float[] b = copy[id].GetProperty("vector").EnumerateArray().Select(v => v.GetSingle()).ToArray();
            Assert.Equal(a.Length, b.Length);
            Assert.Equal(a, b); // bit for bit: exports keep every float (JSON and CSV round-trip, raw float32)
            if (format != "npy") Assert.Equal(item.GetProperty("source").GetString(), copy[id].GetProperty("source").GetString());
        }
    }

    [Fact]
    public async Task Import_WrongDimensionsOrOtherSpace_RefusedWithReason()
    {
        string file = _work.File("bad.jsonl");
        File.WriteAllText(file, """{"id": "a", "vector": [0.6, 0.8]}""" + "\n");
        CliRunner.Result dims = await _work.RunAsync("import", "c", file);
        Assert.Equal(1, dims.ExitCode);
        Assert.Contains("item 'a' has 2 values; collection 'c' holds 1792-d vectors (mobilenet-v2-140).", dims.Stderr, StringComparison.Ordinal);

        float[] v = new float[1792];
        v[0] = 1;
        File.WriteAllText(file, JsonSerializer.Serialize(new { id = "b", vector = v, embedding_space = "es1-0000000000000000" }) + "\n");
        CliRunner.Result space = await _work.RunAsync("import", "c", file);
        Assert.Equal(1, space.ExitCode);
        Assert.Contains("item 'b' is in embedding space es1-0000000000000000; collection 'c' holds es1-", space.Stderr, StringComparison.Ordinal);
    }

    private async Task<Dictionary<string, JsonElement>> ReadAsync(string collection)
    {
        string file = _work.File($"{collection}-check.jsonl");
        Assert.Equal(0, (await _work.RunAsync("export", collection, "-o", file)).ExitCode);
        return File.ReadAllLines(file).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToDictionary(e => e.GetProperty("id").GetString()!);
    }
}
