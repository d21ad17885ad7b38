using System.Collections.Concurrent;
using ImageEmbed.Cli.Indexing;
using ImageEmbed.Cli.Infrastructure;
using ImageEmbed.Imaging.Fingerprint;
using ImageEmbed.Storage;

namespace ImageEmbed.Cli.Reports;

/// <summary>
/// Thumbnails for reports, as <c>data:image/jpeg;base64,...</c> URIs so a report opens offline: from the
/// content cache (made when the item was indexed), else made from each item's source (its file, or its URL through the SSRF-safe fetcher) with the same safe decoder
/// rules as embedding. An item whose source is gone or unreadable gets none (the report says so).
/// </summary>
internal sealed class Thumbnails(InputReader reader, Func<CollectionItem, CancellationToken, Task<byte[]?>> stored)
{
    private readonly ImageFingerprinter _fingerprinter = new(Settings.Imaging());
    private readonly ConcurrentDictionary<string, string?> _made = new(StringComparer.Ordinal);

    /// <summary>Makes the thumbnails of <paramref name="items"/> in parallel.</summary>
    public async Task PrepareAsync(IEnumerable<CollectionItem> items, CancellationToken ct)
    {
        var options = new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = ct };
        await Parallel.ForEachAsync(items.Where(i => !_made.ContainsKey(i.Id)), options, async (item, token) =>
        {
            _made[item.Id] = await MakeAsync(item, token).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }

    /// <summary>The data URI of a prepared item's thumbnail, or null when it has none.</summary>
    public string? DataUri(string id) => _made.GetValueOrDefault(id);

    private async Task<string?> MakeAsync(CollectionItem item, CancellationToken ct)
    {
        try
        {
            if (await stored(item, ct).ConfigureAwait(false) is { } jpeg) return "data:image/jpeg;base64," + Convert.ToBase64String(jpeg);
            if (item.Source is not { Length: > 0 } source || (!IndexInputs.IsUrl(source) && !File.Exists(source))) return null;
            byte[] bytes = await reader.ReadAsync(source, ct).ConfigureAwait(false);
            ImageFingerprint fingerprint = await Task.Run(() => _fingerprinter.Compute(bytes), ct).ConfigureAwait(false);
            return "data:image/jpeg;base64," + Convert.ToBase64String(fingerprint.Thumbnail);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return null; // a report without one picture is still a report
        }
    }
}
