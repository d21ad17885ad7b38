using System.Text.Json;
using ImageEmbed.Cli.Infrastructure;

namespace ImageEmbed.Cli.Reports;

/// <summary>The <c>-o</c> / <c>--html</c> options of <c>dedup</c> and <c>cluster</c>, and writing their outputs.</summary>
internal static class ReportOutput
{
    public static readonly OptionSpec Output = new("output", "o", "FILE", "Write the JSON to FILE instead of standard output.");
    public static readonly OptionSpec Html = new("html", null, "FILE", "Also write a self-contained HTML report (thumbnails, scores) to FILE; opens offline.");

    public static async Task WriteJsonAsync(ParsedArgs args, Action<Utf8JsonWriter> write)
    {
        string? path = args.Get("output");
        Stream stream = path is null ? Console.OpenStandardOutput() : File.Create(path);
        await using (stream.ConfigureAwait(false))
        {
            using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true })) write(json);
            stream.WriteByte((byte)'\n');
        }
    }
}
