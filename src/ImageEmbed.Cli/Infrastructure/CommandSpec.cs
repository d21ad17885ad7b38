using System.Text;

namespace ImageEmbed.Cli.Infrastructure;

/// <summary>A command-line option: <c>--long</c>, optional <c>-s</c>, and a value name when it takes one.</summary>
internal sealed record OptionSpec(string Long, string? Short, string? ValueName, string Help)
{
    public bool TakesValue => ValueName is not null;
}

/// <summary>What a command accepts, and its help text (generated from the same specs the parser uses).</summary>
internal sealed record CommandSpec(string Name, string Summary, string Usage, IReadOnlyList<OptionSpec> Options, string? Details = null)
{
    public static readonly OptionSpec Help = new("help", "h", null, "Show this help and exit.");

    public string HelpText()
    {
        var sb = new StringBuilder();
        sb.Append("Usage: imageembed ").AppendLine(Usage).AppendLine().AppendLine(Summary);
        if (Details is not null) sb.AppendLine().AppendLine(Details.TrimEnd());
        sb.AppendLine().AppendLine("Options:");
        foreach (OptionSpec o in Options.Append(Help))
        {
            string names = (o.Short is null ? "    " : $"-{o.Short}, ") + "--" + o.Long + (o.TakesValue ? " " + o.ValueName : "");
            sb.Append("  ").Append(names.PadRight(28)).AppendLine(o.Help);
        }
        return sb.ToString();
    }

    /// <summary>Splits <paramref name="args"/> into options and positionals.</summary>
    /// <exception cref="UsageException">An unknown option, or one missing its value.</exception>
    public ParsedArgs Parse(IReadOnlyList<string> args)
    {
        var parsed = new ParsedArgs();
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (arg == "--")
            {
                for (i++; i < args.Count; i++) parsed.Positionals.Add(args[i]);
                break;
            }
            if (arg.Length < 2 || arg[0] != '-')
            {
                parsed.Positionals.Add(arg);
                continue;
            }
            string name = arg.StartsWith("--", StringComparison.Ordinal) ? arg[2..] : arg[1..];
            string? inlineValue = null;
            int eq = name.IndexOf('=');
            if (eq > 0) (name, inlineValue) = (name[..eq], name[(eq + 1)..]);
            OptionSpec spec = Options.Append(Help).FirstOrDefault(o => o.Long == name || o.Short == name)
                ?? throw new UsageException($"Unknown option '{arg}' for '{Name}'. See 'imageembed {Name} --help'.");
            if (!spec.TakesValue)
            {
                if (inlineValue is not null) throw new UsageException($"Option --{spec.Long} takes no value.");
                parsed.Values[spec.Long] = null;
                continue;
            }
            string value = inlineValue ?? (i + 1 < args.Count ? args[++i] : throw new UsageException($"Option --{spec.Long} needs a value ({spec.ValueName})."));
            parsed.Values[spec.Long] = value;
        }
        return parsed;
    }
}

internal sealed class ParsedArgs
{
    public Dictionary<string, string?> Values { get; } = new(StringComparer.Ordinal);
    public List<string> Positionals { get; } = [];

    public bool Has(string name) => Values.ContainsKey(name);
    public string? Get(string name) => Values.GetValueOrDefault(name);

    public int GetInt(string name, int fallback, int min, int max)
    {
        if (!Values.TryGetValue(name, out string? raw) || raw is null) return fallback;
        if (!int.TryParse(raw, System.Globalization.CultureInfo.InvariantCulture, out int value) || value < min || value > max)
            throw new UsageException($"--{name} must be a whole number within {min}..{max} (was '{raw}').");
        return value;
    }

    public float GetFloat(string name, float fallback, float min, float max)
    {
        if (!Values.TryGetValue(name, out string? raw) || raw is null) return fallback;
        if (!float.TryParse(raw, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out float value) || !(value >= min && value <= max))
            throw new UsageException($"--{name} must be a number within {min.ToString(System.Globalization.CultureInfo.InvariantCulture)}..{max.ToString(System.Globalization.CultureInfo.InvariantCulture)} (was '{raw}').");
        return value;
    }
}

/// <summary>The command line is wrong; the message says how. Exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
