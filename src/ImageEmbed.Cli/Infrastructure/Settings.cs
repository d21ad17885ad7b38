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
    private static readonly Lazy<IConfiguration> s_configuration = new(() => new ConfigurationBuilder().AddImageEmbedEnvironment().Build());

    public static ModelsOptions Models() => SettingsBinding.Models(s_configuration.Value);

    public static ImagingOptions Imaging() => SettingsBinding.Imaging(s_configuration.Value);
}
