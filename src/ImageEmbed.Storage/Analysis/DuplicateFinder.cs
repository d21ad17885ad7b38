using System.Numerics.Tensors;
using System.Text.Json.Serialization;
using ImageEmbed.Imaging.Fingerprint;

namespace ImageEmbed.Storage.Analysis;

/// <summary>Why two items are duplicates.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DuplicateKind>))]
public enum DuplicateKind
{
    /// <summary>The same picture: identical bytes, or perceptual hashes within the exact distance (re-encoded, resized, slightly cropped).</summary>
    [JsonStringEnumMemberName("exact")] Exact,

    /// <summary>Visually similar: embedding cosine at or above the threshold (mirrored, edited, another shot of the same scene).</summary>
    [JsonStringEnumMemberName("similar")] Similar,
}

/// <summary>Which pairs to report.</summary>
public enum DuplicateKinds { All, Exact, Similar }

/// <summary>
/// A linked pair: its cosine <see cref="Score"/>, its <see cref="Kind"/>, and the Hamming distance of the
/// two perceptual hashes when both items have one.
/// </summary>
public sealed record SimilarPair(string A, string B, float Score, DuplicateKind Kind = DuplicateKind.Similar, int? PhashDistance = null);

/// <summary>A group of duplicates: its members (sorted) and every linked pair in it, exact pairs first, then by score.</summary>
public sealed record DuplicateGroup(IReadOnlyList<string> Items, IReadOnlyList<SimilarPair> Pairs);

/// <summary>How <see cref="DuplicateFinder"/> links items.</summary>
/// <param name="Threshold">Cosine at or above which a pair is <see cref="DuplicateKind.Similar"/>, within 0..1 (the model's calibrated default: <c>ModelCatalog.DuplicateThreshold</c>).</param>
/// <param name="PhashDistance">Largest pHash Hamming distance (0..64) at which a pair is <see cref="DuplicateKind.Exact"/>.</param>
/// <param name="Kinds">Report exact pairs, similar pairs (those that are not exact), or both.</param>
public sealed record DuplicateOptions(float Threshold, int PhashDistance = DuplicateFinder.DefaultPhashDistance, DuplicateKinds Kinds = DuplicateKinds.All);

/// <summary>
/// Duplicates with two answers, over any store's items: "exact copy" (same content hash, or perceptual
/// hashes within <see cref="DuplicateOptions.PhashDistance"/> bits) and "visually similar" (embedding cosine
/// at or above <see cref="DuplicateOptions.Threshold"/>). Pairs are grouped transitively. Exact and
/// O(n²): a popcount and a dot product per pair, fine for the tens of thousands of items one request
/// handles. Thresholds and their measured precision and recall: docs/DUPLICATES.md.
/// </summary>
public static class DuplicateFinder
{
    /// <summary>
    /// Default largest pHash distance for "exact": calibrated on augmented copies of the dev photos
    /// (docs/DUPLICATES.md): re-encodes and resizes sit at 0-2 bits, small crops at most a few more, and no
    /// two different photos came closer than well above it.
    /// </summary>
    public const int DefaultPhashDistance = 10;

    /// <summary>Groups of 2+ linked items, largest first (ties by first id).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A threshold is out of range.</exception>
    public static List<DuplicateGroup> Find(IReadOnlyList<CollectionItem> items, DuplicateOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.PhashDistance, 0, nameof(options));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.PhashDistance, 64, nameof(options));
        var pairs = new List<(int A, int B, SimilarPair Pair)>();
        for (int a = 0; a < items.Count; a++)
            for (int b = a + 1; b < items.Count; b++)
                if (Classify(items[a], items[b], options) is { } pair) pairs.Add((a, b, pair));

        return VectorAnalysis.Components(items.Count, pairs.Select(p => (p.A, p.B, p.Pair.Score)).ToList())
            .Where(g => g.Count > 1)
            .Select(g =>
            {
                var members = g.ToHashSet();
                return new DuplicateGroup(
                    g.Select(i => items[i].Id).Order(StringComparer.Ordinal).ToList(),
                    pairs.Where(p => members.Contains(p.A)).Select(p => p.Pair)
                        .OrderBy(p => p.Kind).ThenByDescending(p => p.Score).ThenBy(p => p.A, StringComparer.Ordinal).ThenBy(p => p.B, StringComparer.Ordinal).ToList());
            })
            .OrderByDescending(g => g.Items.Count).ThenBy(g => g.Items[0], StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>The pair's kind under <paramref name="options"/>, or null when it is not a duplicate (or not a kind asked for).</summary>
    public static SimilarPair? Classify(CollectionItem a, CollectionItem b, DuplicateOptions options)
    {
        // Ids in order, so a pair reads the same whichever way round it was found.
        if (string.CompareOrdinal(a.Id, b.Id) > 0) (a, b) = (b, a);
        int? distance = a.PerceptualHash is ulong pa && b.PerceptualHash is ulong pb ? PerceptualHash.Distance(pa, pb) : null;
        bool sameBytes = a.ContentHash is not null && a.ContentHash == b.ContentHash;
        DuplicateKind? kind = sameBytes || distance <= options.PhashDistance ? DuplicateKind.Exact : null;
        float score = TensorPrimitives.Dot(a.Vector, b.Vector);
        if (kind is null && score >= options.Threshold) kind = DuplicateKind.Similar;
        if (kind is not { } k || (options.Kinds == DuplicateKinds.Exact && k != DuplicateKind.Exact) || (options.Kinds == DuplicateKinds.Similar && k != DuplicateKind.Similar))
            return null;
        return new SimilarPair(a.Id, b.Id, score, k, distance);
    }
}
