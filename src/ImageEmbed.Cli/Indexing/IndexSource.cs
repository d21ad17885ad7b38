namespace ImageEmbed.Cli.Indexing;

/// <summary>
/// One thing to index: a local file or an http(s) URL, under a stable item id (the path relative to the
/// indexed folder, prefixed with the folder's name; a file's name; or the URL / the list's id column),
/// so a re-run addresses the same item. <paramref name="Metadata"/> holds extra list columns.
/// </summary>
internal sealed record IndexSource(string Id, string Location, bool IsUrl, IReadOnlyDictionary<string, string>? Metadata = null);

/// <summary>An input that could not be read or embedded, and why.</summary>
internal sealed record IndexFailure(string Source, string Error);
