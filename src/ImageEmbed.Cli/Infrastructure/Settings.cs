using ImageEmbed.Imaging;
using ImageEmbed.Models;
using Microsoft.Extensions.Configuration;

namespace ImageEmbed.Cli.Infrastructure;

/// <summary>
/// The CLI's configuration: the <c>IMAGEEMBED_*</c> environment variables (the table in
/// <see cref="EnvironmentSettings"/>, shared with the service), bound onto each layer's options.
/// </summary>
internal static class Settings
{
    /// <summary>The key <c>--server</c> commands send when <c>--api-key</c> is not given.</summary>
    public const string ApiKeyVariable = "IMAGEEMBED_API_KEY";

    private static readonly Lazy<IConfiguration> s_configuration = new(() => new ConfigurationBuilder().AddImageEmbedEnvironment().Build());

    public static ModelsOptions Models() => SettingsBinding.Models(s_configuration.Value);

    public static ImagingOptions Imaging() => SettingsBinding.Imaging(s_configuration.Value);

    /// <summary>The data folder (<c>IMAGEEMBED_DATA_DIR</c>), where the embedded store and the key file live.</summary>
    public static string DataDirectory() => SettingsBinding.DataDirectory(s_configuration.Value);

    /// <summary>The collections store setting (<c>IMAGEEMBED_STORE</c>), the same the service uses.</summary>
    public static string Store() => s_configuration.Value["Service:Store"] ?? "";
}
