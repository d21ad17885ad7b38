using System.Text.RegularExpressions;
using ImageEmbed.Imaging;
using ImageEmbed.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ImageEmbed.Application.Configuration;

/// <summary>
/// The one configuration of both executables. Sources, lowest to highest precedence: <c>appsettings.json</c> beside
/// the executable, the <c>IMAGEEMBED_*</c> variables (<see cref="SettingVariables"/>), then <c>--Section:Key=value</c>
/// arguments. Options are bound with <c>AddOptions&lt;T&gt;().Bind()</c> and checked by their own
/// <c>Validate()</c> once, with messages naming the key and its variable.
/// </summary>
public static partial class ImageEmbedConfiguration
{
    public const string FileName = "appsettings.json";

    /// <summary>Adds the three sources, in order. <paramref name="args"/> may hold anything: only <c>--Section:Key=value</c> is read.</summary>
    public static IConfigurationBuilder AddImageEmbedSources(this IConfigurationBuilder builder, IReadOnlyList<string> args) =>
        builder
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, FileName), optional: true, reloadOnChange: false)
            .AddInMemoryCollection(SettingVariables.All
                .Select(v => new KeyValuePair<string, string?>(v.Key, Environment.GetEnvironmentVariable(v.Variable)))
                .Where(kv => !string.IsNullOrEmpty(kv.Value)))
            .AddCommandLine(SettingArguments(args).ToArray());

    /// <summary>The <c>--Section:Key=value</c> arguments among <paramref name="args"/>, and <c>--urls URLS</c> (or <c>--urls=URLS</c>).</summary>
    public static IEnumerable<string> SettingArguments(IReadOnlyList<string> args)
    {
        for (int i = 0; i < args.Count; i++)
        {
            if (SettingArgument().IsMatch(args[i])) yield return args[i];
            else if (args[i] == "--urls" && i + 1 < args.Count) yield return "--urls=" + args[++i];
        }
    }

    [GeneratedRegex(@"^--([A-Za-z]+(:[A-Za-z.]+)+|urls)=")]
    private static partial Regex SettingArgument();

    /// <summary>The data folder: <c>DataDirectory</c>, else <c>~/.imageembed</c>.</summary>
    public static string DataDirectory(IConfiguration configuration) =>
        configuration["DataDirectory"] is { Length: > 0 } dir ? dir : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".imageembed");

    /// <summary>The collections store setting (<c>Service:Store</c>), which the CLI's local commands open too.</summary>
    public static string Store(IConfiguration configuration) => configuration["Service:Store"] ?? "";

    /// <summary>The <c>Models</c> and <c>Imaging</c> options, bound and validated on start.</summary>
    public static IServiceCollection AddImageEmbedSettings(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSettings<ModelsOptions>(configuration, "Models", o => o.Validate())
            .PostConfigure(o => { if (string.IsNullOrWhiteSpace(o.Directory)) o.Directory = Path.Combine(DataDirectory(configuration), "models"); });
        services.AddSettings<ImagingOptions>(configuration, "Imaging", o => o.Validate());
        return services;
    }

    /// <summary>
    /// Binds <paramref name="section"/> onto <typeparamref name="T"/> and checks it with <paramref name="validate"/>
    /// on start (<c>ValidateOnStart</c>); each problem names its key, and the variable that sets it.
    /// </summary>
    public static OptionsBuilder<T> AddSettings<T>(this IServiceCollection services, IConfiguration configuration, string section,
        Func<T, IEnumerable<string>> validate) where T : class
    {
        services.AddSingleton<IValidateOptions<T>>(new SettingsValidator<T>(validate));
        return services.AddOptions<T>().Bind(configuration.GetSection(section)).ValidateOnStart();
    }

    /// <summary>
    /// A fresh, validated instance of <typeparamref name="T"/> (the CLI's commands adjust theirs).
    /// </summary>
    /// <exception cref="ArgumentException">A value is invalid or of the wrong type; the message names the key and its variable.</exception>
    public static T Create<T>(IServiceProvider services) where T : class
    {
        try
        {
            return services.GetRequiredService<IOptionsFactory<T>>().Create(Options.DefaultName);
        }
        catch (Exception e) when (Describe(e) is { } message)
        {
            throw new ArgumentException(message, e);
        }
    }

    /// <summary>The message for a settings failure (invalid value, or one that does not convert), or null for anything else.</summary>
    public static string? Describe(Exception exception) => exception switch
    {
        OptionsValidationException e => "Invalid settings: " + string.Join(" ", e.Failures),
        // The binder's message quotes the key ('Models:MaxBatchSize'): name the variable too.
        InvalidOperationException e when ConvertFailure().Match(e.Message) is { Success: true } m =>
            $"{e.Message}{(SettingVariables.For(m.Groups[1].Value) is { } variable ? $" (set by {variable})" : "")}",
        _ => null,
    };

    [GeneratedRegex(@"at '([^']+)' to type")]
    private static partial Regex ConvertFailure();

    private sealed class SettingsValidator<T>(Func<T, IEnumerable<string>> validate) : IValidateOptions<T> where T : class
    {
        public ValidateOptionsResult Validate(string? name, T options)
        {
            // Each problem starts with its key ("Models:MaxBatchSize must be ..."): add the variable that sets it.
            string[] problems = validate(options).Select(p => SettingVariables.All.FirstOrDefault(v => p.StartsWith(v.Key + " ", StringComparison.Ordinal)) is { Variable: { } variable, Key: { } key }
                ? $"{key} ({variable}){p[key.Length..]}" : p).ToArray();
            return problems.Length == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }
    }
}
