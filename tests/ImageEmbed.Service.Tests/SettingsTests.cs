using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using ImageEmbed.Application.Configuration;
using ImageEmbed.Imaging;
using ImageEmbed.Models;
using ImageEmbed.Tests;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ImageEmbed.Service.Tests;

/// <summary>One configuration for both executables: every setting has its IMAGEEMBED_* variable and README row, and both read them.</summary>
public sealed class SettingsTests
{
    private static readonly (Type Options, string Section)[] OptionsClasses =
        [(typeof(ModelsOptions), "Models"), (typeof(ImagingOptions), "Imaging"), (typeof(ServiceOptions), "Service")];

    [Fact]
    public void EveryOptionsPropertyAndAppsettingsKey_HasAVariableAndAReadmeRow()
    {
        var keys = new SortedSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach ((Type options, string section) in OptionsClasses)
            foreach (PropertyInfo p in options.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
                keys.Add($"{section}:{p.Name}");
        using (JsonDocument settings = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "src/ImageEmbed.Application", ImageEmbedConfiguration.FileName)),
            new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip }))
            AddLeaves(settings.RootElement, "", keys);
        Assert.True(keys.Count > 30, $"only {keys.Count} keys found");

        string readme = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "README.md"));
        string[] missingVariable = keys.Where(k => SettingVariables.For(k) is null).ToArray();
        string[] missingRow = SettingVariables.All.Where(v => !readme.Contains($"| `{v.Variable}` |", StringComparison.Ordinal)).Select(v => v.Variable).ToArray();
        Assert.True(missingVariable.Length == 0, "settings without an IMAGEEMBED_* variable: " + string.Join(", ", missingVariable));
        Assert.True(missingRow.Length == 0, "variables without a README row: " + string.Join(", ", missingRow));
        Assert.Equal(SettingVariables.All.Count, SettingVariables.All.Select(v => v.Variable).Distinct().Count());
    }

    [Fact]
    public void Sources_CommandLineOverVariablesOverTheFile_AndTheFileHoldsTheDefaults()
    {
        IConfiguration config = new ConfigurationBuilder()
            .AddImageEmbedSources(["serve", "--Models:MaxBatchSize=16", "--Imaging:MaxRedirects=2", "--urls", "http://127.0.0.1:1", "--no-auth"])
            .Build();
        using ServiceProvider services = new ServiceCollection().AddImageEmbedSettings(config).BuildServiceProvider();

        ModelsOptions models = ImageEmbedConfiguration.Create<ModelsOptions>(services);
        ImagingOptions imaging = ImageEmbedConfiguration.Create<ImagingOptions>(services);
        Assert.Equal(16, models.MaxBatchSize);
        Assert.Equal(2, imaging.MaxRedirects);
        Assert.Equal("http://127.0.0.1:1", config["urls"]);
        // Unset keys: appsettings.json's values, which are the classes' own defaults.
        Assert.Equal(new ImagingOptions().FetchTimeoutMs, imaging.FetchTimeoutMs);
        Assert.Equal("image-embedding-3-small=default", models.Aliases);
        Assert.Equal(Path.Combine(ImageEmbedConfiguration.DataDirectory(config), "models"), models.Directory);
    }

    [Fact]
    public void InvalidValues_OneMessageNamingEachKeyItsVariableAndValue()
    {
        IConfiguration config = new ConfigurationBuilder().AddImageEmbedSources(["--Models:MaxBatchSize=-1", "--Imaging:MaxPixels=-1"]).Build();
        using ServiceProvider services = new ServiceCollection().AddImageEmbedSettings(config).BuildServiceProvider();

        var models = Assert.Throws<ArgumentException>(() => ImageEmbedConfiguration.Create<ModelsOptions>(services));
        Assert.Equal("Invalid settings: Models:MaxBatchSize (IMAGEEMBED_MAX_BATCH_SIZE) must be 0 (automatic) or within 1..1024 (was -1).", models.Message);
        var imaging = Assert.Throws<ArgumentException>(() => ImageEmbedConfiguration.Create<ImagingOptions>(services));
        Assert.Equal("Invalid settings: Imaging:MaxPixels (IMAGEEMBED_MAX_PIXELS) must be positive (was -1).", imaging.Message);

        IConfiguration typo = new ConfigurationBuilder().AddImageEmbedSources(["--Models:QueueCapacity=lots"]).Build();
        using ServiceProvider typoServices = new ServiceCollection().AddImageEmbedSettings(typo).BuildServiceProvider();
        var wrongType = Assert.Throws<ArgumentException>(() => ImageEmbedConfiguration.Create<ModelsOptions>(typoServices));
        Assert.Contains("'Models:QueueCapacity'", wrongType.Message, StringComparison.Ordinal);
        Assert.EndsWith("(set by IMAGEEMBED_QUEUE_CAPACITY)", wrongType.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BothExecutables_ReadTheSameVariable_AndRefuseItsBadValueAtStart()
    {
        var bad = new Dictionary<string, string> { ["IMAGEEMBED_MAX_REDIRECTS"] = "99", ["IMAGEEMBED_DATA_DIR"] = Directory.CreateTempSubdirectory("imageembed-settings-").FullName };
        const string Expected = "Imaging:MaxRedirects (IMAGEEMBED_MAX_REDIRECTS) must be within 0..10 (was 99).";

        CliRunner.Result cli = await CliRunner.RunAsync(["embed", TestPaths.DevFiles()[0]], bad);
        Assert.Equal(2, cli.ExitCode);
        Assert.Contains(Expected, cli.Stderr, StringComparison.Ordinal);

        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { TestPaths.CliDll, "serve", "--urls", "http://127.0.0.1:0" }) info.ArgumentList.Add(a);
        TestProcesses.SetEnvironment(info, new Dictionary<string, string>(bad) { ["IMAGEEMBED_MODELS_DIR"] = TestPaths.ModelsDir });
        using Process service = Process.Start(info)!;
        Task<string> stdout = service.StandardOutput.ReadToEndAsync();
        string stderr = await service.StandardError.ReadToEndAsync().DefaultTimeout();
        await service.WaitForExitAsync().DefaultTimeout();
        Assert.Equal(2, service.ExitCode);
        Assert.Contains(Expected, stderr, StringComparison.Ordinal);
        _ = await stdout;
    }

    private static void AddLeaves(JsonElement element, string prefix, ISet<string> keys)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            keys.Add(prefix);
            return;
        }
        foreach (JsonProperty p in element.EnumerateObject()) AddLeaves(p.Value, prefix.Length == 0 ? p.Name : $"{prefix}:{p.Name}", keys);
    }
}
