using ImageEmbed.Application.Configuration;
using ImageEmbed.Imaging;
using ImageEmbed.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ImageEmbed.Cli.Infrastructure;

/// <summary>
/// The CLI's configuration: the service's (<see cref="ImageEmbedConfiguration"/>): <c>appsettings.json</c>, then the
/// <c>IMAGEEMBED_*</c> variables, then <c>--Section:Key=value</c> arguments, bound and validated the same way.
/// </summary>
internal static class Settings
{
    /// <summary>The key <c>--server</c> commands send when <c>--api-key</c> is not given.</summary>
    public const string ApiKeyVariable = "IMAGEEMBED_API_KEY";

    private static string[] s_arguments = [];
    private static readonly Lazy<IConfiguration> s_configuration = new(() => new ConfigurationBuilder().AddImageEmbedSources(s_arguments).Build());
    private static readonly Lazy<ServiceProvider> s_options = new(() => new ServiceCollection().AddImageEmbedSettings(s_configuration.Value).BuildServiceProvider());

    /// <summary>Takes the <c>--Section:Key=value</c> arguments out of <paramref name="args"/> (before the first use of a setting); returns the rest.</summary>
    public static string[] Apply(string[] args)
    {
        s_arguments = ImageEmbedConfiguration.SettingArguments(args).ToArray();
        return args.Where(a => !s_arguments.Contains(a, StringComparer.Ordinal)).ToArray();
    }

    /// <summary>A fresh, validated copy (commands may adjust theirs).</summary>
    /// <exception cref="ArgumentException">A setting is invalid; the message names its key and variable.</exception>
    public static ModelsOptions Models() => ImageEmbedConfiguration.Create<ModelsOptions>(s_options.Value);

    /// <exception cref="ArgumentException">A setting is invalid; the message names its key and variable.</exception>
    public static ImagingOptions Imaging() => ImageEmbedConfiguration.Create<ImagingOptions>(s_options.Value);

    /// <summary>The data folder (<c>IMAGEEMBED_DATA_DIR</c>), where the embedded store and the key file live.</summary>
    public static string DataDirectory() => ImageEmbedConfiguration.DataDirectory(s_configuration.Value);

    /// <summary>The collections store setting (<c>IMAGEEMBED_STORE</c>), the same the service uses.</summary>
    public static string Store() => ImageEmbedConfiguration.Store(s_configuration.Value);
}
