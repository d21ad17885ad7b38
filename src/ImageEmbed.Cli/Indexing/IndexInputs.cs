using System.Text;
using ImageEmbed.Cli.Infrastructure;

namespace ImageEmbed.Cli.Indexing;

/// <summary>
/// Turns <c>imageembed index</c> arguments into sources: folders (recursive, image extensions), image
/// files, and URL lists (<c>.txt</c>, <c>.csv</c>, <c>.tsv</c>, <c>.urls</c>, <c>.list</c>). A list line
/// that holds no URL is a failure for the report, not a reason to stop.
/// </summary>
internal static class IndexInputs
{
    public static readonly IReadOnlySet<string> ListExtensions = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { ".txt", ".csv", ".tsv", ".urls", ".list" };
    private static readonly string[] UrlColumns = ["url", "image", "image_url", "src", "source"];

    /// <exception cref="UsageException">A path does not exist, or two inputs map to one id.</exception>
    public static List<IndexSource> Expand(IEnumerable<string> arguments, List<IndexFailure> failures)
    {
        var sources = new List<IndexSource>();
        foreach (string argument in arguments)
        {
            if (IsUrl(argument)) sources.Add(new IndexSource(argument, argument, IsUrl: true));
            else if (Directory.Exists(argument)) sources.AddRange(Folder(argument));
            else if (File.Exists(argument) && ListExtensions.Contains(Path.GetExtension(argument))) sources.AddRange(UrlList(argument, failures));
            else if (File.Exists(argument)) sources.Add(new IndexSource(Path.GetFileName(argument), Path.GetFullPath(argument), IsUrl: false));
            else throw new UsageException($"No such file or folder: {argument}");
        }
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        var unique = new List<IndexSource>(sources.Count);
        foreach (IndexSource s in sources)
        {
            if (seen.TryGetValue(s.Id, out string? first))
            {
                // The same URL listed twice is one item; two different inputs claiming one id would overwrite each other.
                if (first == s.Location) continue;
                throw new UsageException($"Two inputs map to the item id '{s.Id}': {first} and {s.Location}. Index them into different collections or rename one.");
            }
            seen[s.Id] = s.Location;
            unique.Add(s);
        }
        return unique;
    }

    public static bool IsUrl(string value) =>
        value.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || value.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    private static IEnumerable<IndexSource> Folder(string folder)
    {
        string root = Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar);
        string prefix = Path.GetFileName(root);
        return Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Where(f => InputFiles.WalkExtensions.Contains(Path.GetExtension(f)))
            .Order(StringComparer.Ordinal)
            .Select(f =>
            {
                string relative = Path.GetRelativePath(root, f).Replace(Path.DirectorySeparatorChar, '/');
                return new IndexSource(prefix.Length > 0 ? prefix + "/" + relative : relative, f, IsUrl: false);
            });
    }

    private static IEnumerable<IndexSource> UrlList(string file, List<IndexFailure> failures)
    {
        char? delimiter = Path.GetExtension(file).ToLowerInvariant() switch { ".csv" => ',', ".tsv" => '\t', _ => null };
        string[] lines = File.ReadAllLines(file);
        int first = 0;
        while (first < lines.Length && IsSkipped(lines[first])) first++;
        if (first == lines.Length) yield break;

        string[]? header = null;
        int urlColumn = -1, idColumn = -1;
        if (delimiter is char d)
        {
            string[] fields = Split(lines[first], d);
            if (!fields.Any(IsUrl))
            {
                header = fields.Select(f => f.Trim()).ToArray();
                urlColumn = Array.FindIndex(header, h => UrlColumns.Contains(h, StringComparer.OrdinalIgnoreCase));
                idColumn = Array.FindIndex(header, h => h.Equals("id", StringComparison.OrdinalIgnoreCase));
                if (urlColumn < 0)
                {
                    failures.Add(new IndexFailure(file, $"the header ({string.Join(", ", header)}) has no URL column; name it one of: {string.Join(", ", UrlColumns)}"));
                    yield break;
                }
                first++;
            }
        }

        for (int n = first; n < lines.Length; n++)
        {
            if (IsSkipped(lines[n])) continue;
            string[] fields = delimiter is char sep ? Split(lines[n], sep) : lines[n].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            string? url = header is not null
                ? (urlColumn < fields.Length ? fields[urlColumn].Trim() : null)
                : fields.Select(f => f.Trim()).FirstOrDefault(IsUrl);
            if (url is null || !IsUrl(url))
            {
                failures.Add(new IndexFailure($"{file}:{n + 1}", "no http(s) URL on this line"));
                continue;
            }
            string id = idColumn >= 0 && idColumn < fields.Length && fields[idColumn].Trim() is { Length: > 0 } given ? given : url;
            Dictionary<string, string>? metadata = null;
            if (header is not null)
            {
                metadata = new Dictionary<string, string>(StringComparer.Ordinal);
                for (int c = 0; c < header.Length && c < fields.Length; c++)
                    if (c != urlColumn && c != idColumn && header[c].Length > 0) metadata[header[c]] = fields[c];
            }
            yield return new IndexSource(id, url, IsUrl: true, metadata is { Count: > 0 } ? metadata : null);
        }
    }

    private static bool IsSkipped(string line) => string.IsNullOrWhiteSpace(line) || line.TrimStart().StartsWith('#');

    /// <summary>One CSV/TSV record on one line: fields may be quoted, with "" for a quote inside.</summary>
    internal static string[] Split(string line, char delimiter)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else field.Append(c);
            }
            else if (c == '"' && field.Length == 0) quoted = true;
            else if (c == delimiter) { fields.Add(field.ToString()); field.Clear(); }
            else field.Append(c);
        }
        fields.Add(field.ToString());
        return fields.ToArray();
    }
}
