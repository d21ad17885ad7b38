using System.Globalization;
using Npgsql;

namespace ImageEmbed.Storage.PgVector;

/// <summary>
/// Turns the store setting into an Npgsql connection string. Accepts libpq-style URLs
/// (<c>postgres://user:pass@host:port/db?sslmode=require</c>) and Npgsql <c>key=value;...</c> strings.
/// </summary>
internal static class PgConnectionString
{
    /// <summary>The setting the connection string comes from, named in every error about it.</summary>
    public const string Setting = "IMAGEEMBED_STORE";

    private const int DefaultPort = 5432;

    /// <exception cref="ArgumentException">The string cannot be parsed; the message never repeats a password.</exception>
    public static NpgsqlConnectionStringBuilder Parse(string connectionString)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        string trimmed = connectionString.Trim();
        NpgsqlConnectionStringBuilder builder = IsUrl(trimmed) ? FromUrl(trimmed) : FromKeyValue(trimmed);
        if (string.IsNullOrEmpty(builder.Host))
            throw new ArgumentException($"The PostgreSQL connection string in {Setting} names no host (set Host=... or use postgres://user:pass@host:port/db).");
        return builder;
    }

    private static bool IsUrl(string s) =>
        s.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || s.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase);

    private static NpgsqlConnectionStringBuilder FromKeyValue(string s)
    {
        try
        {
            return new NpgsqlConnectionStringBuilder(s);
        }
        catch (ArgumentException e)
        {
            // Npgsql's message names the bad keyword, never the value, so it is safe to repeat.
            throw new ArgumentException($"The PostgreSQL connection string in {Setting} is not valid: {e.Message}", e);
        }
    }

    private static NpgsqlConnectionStringBuilder FromUrl(string s)
    {
        if (!Uri.TryCreate(s, UriKind.Absolute, out Uri? uri) || string.IsNullOrEmpty(uri.Host))
            throw new ArgumentException($"The PostgreSQL URL in {Setting} is not valid: expected postgres://user:password@host:port/database.");

        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.DnsSafeHost, // without the brackets of an IPv6 literal
            Port = uri.IsDefaultPort || uri.Port < 0 ? DefaultPort : uri.Port,
        };
        if (uri.UserInfo.Length > 0)
        {
            int colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            builder.Username = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            if (colon >= 0) builder.Password = Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
        }
        string database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length > 0) builder.Database = database;

        foreach (string pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = pair.IndexOf('=', StringComparison.Ordinal);
            string key = Uri.UnescapeDataString((eq < 0 ? pair : pair[..eq]).Replace('+', ' '));
            string value = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..].Replace('+', ' '));
            SetUrlParameter(builder, key, value);
        }
        return builder;
    }

    /// <summary>libpq parameter names first, then any Npgsql keyword (<c>Maximum Pool Size</c>, or <c>maximum_pool_size</c>).</summary>
    private static void SetUrlParameter(NpgsqlConnectionStringBuilder builder, string key, string value)
    {
        try
        {
            switch (key.ToLowerInvariant())
            {
                case "sslmode":
                    builder.SslMode = value.ToLowerInvariant() switch
                    {
                        "disable" => SslMode.Disable,
                        "allow" => SslMode.Allow,
                        "prefer" => SslMode.Prefer,
                        "require" => SslMode.Require,
                        "verify-ca" => SslMode.VerifyCA,
                        "verify-full" => SslMode.VerifyFull,
                        _ => throw new ArgumentException($"sslmode '{value}' is not one of disable, allow, prefer, require, verify-ca, verify-full."),
                    };
                    break;
                case "application_name":
                    builder.ApplicationName = value;
                    break;
                case "connect_timeout":
                    builder.Timeout = int.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture);
                    break;
                case "user":
                    builder.Username = value;
                    break;
                case "password":
                    builder.Password = value;
                    break;
                case "dbname":
                    builder.Database = value;
                    break;
                case "options":
                    builder.Options = value;
                    break;
                default:
                    builder[key.Replace('_', ' ')] = value;
                    break;
            }
        }
        catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
        {
            throw new ArgumentException($"The PostgreSQL URL in {Setting} has a parameter '{key}' that cannot be used: {e.Message}", e);
        }
    }

    /// <summary>Where a connection goes, for error messages: host, port and database, never credentials.</summary>
    public static string Describe(NpgsqlConnectionStringBuilder builder) =>
        string.Create(CultureInfo.InvariantCulture, $"{builder.Host}:{builder.Port}/{builder.Database ?? builder.Username ?? "(default database)"}");
}
