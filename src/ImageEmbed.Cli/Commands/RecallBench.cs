using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using ImageEmbed.Models.Embeddings;
using ImageEmbed.Storage;
using ImageEmbed.Storage.PgVector;

namespace ImageEmbed.Cli.Commands;

/// <summary>
/// Recall of pgvector's HNSW index against an exact search, per search option (the default candidate list,
/// <c>ef_search</c> 400 and 1000, <c>exact</c>), on two kinds of vectors: uniform on the sphere (no structure:
/// the index's worst case) and clustered like real embeddings (a few hundred tight groups).
/// </summary>
internal static class RecallBench
{
    private static readonly (string Name, Func<float[], SearchQuery> Query)[] Options =
    [
        ("default", q => new SearchQuery(q, 10)),
        ("ef_search 400", q => new SearchQuery(q, 10) { Candidates = 400 }),
        ("ef_search 1000", q => new SearchQuery(q, 10) { Candidates = 1000 }),
        ("exact", q => new SearchQuery(q, 10) { Exact = true }),
    ];

    public static async Task<List<string>> RunAsync(string postgres, int[] sizes, int[] dimensions, int queries, CancellationToken ct)
    {
        var rows = new List<string>
        {
            "| vectors | dims | data | " + string.Join(" | ", Options.Select(o => $"{o.Name}: recall@10, p50 ms")) + " |",
            "|---|---|---|" + string.Concat(Options.Select(_ => "---|")),
        };
        await using PgVectorStore store = await PgVectorStore.OpenAsync(postgres, ct);
        foreach (int d in dimensions)
            foreach (int n in sizes)
                foreach (bool clustered in new[] { false, true })
                {
                    Console.Error.WriteLine($"bench: recall, {n:N0} x {d}, {(clustered ? "clustered" : "uniform")}");
                    rows.Add(await MeasureAsync(store, n, d, clustered, queries, ct));
                }
        return rows;
    }

    private static async Task<string> MeasureAsync(PgVectorStore store, int n, int d, bool clustered, int queries, CancellationToken ct)
    {
        var rng = new Random(7);
        float[][] centres = Enumerable.Range(0, Math.Max(1, n / 50)).Select(_ => Unit(rng, d)).ToArray();
        Func<float[]> next = clustered ? () => Near(rng, centres[rng.Next(centres.Length)], 0.5f) : () => Unit(rng, d);
        float[][] vectors = Enumerable.Range(0, n).Select(_ => next()).ToArray();
        string name = "recallbench" + Guid.NewGuid().ToString("N")[..8];
        await store.CreateCollectionAsync(name, "bench", d, ct: ct);
        try
        {
            for (int start = 0; start < n; start += 500)
                await store.UpsertAsync(name, Enumerable.Range(start, Math.Min(500, n - start)).Select(i => new CollectionItem($"v{i:D7}", vectors[i])).ToList(), ct);
            var recall = new double[Options.Length];
            var latencies = Options.Select(_ => new List<double>()).ToArray();
            for (int q = 0; q < queries; q++)
            {
                float[] query = next();
                HashSet<string> truth = Enumerable.Range(0, n).OrderByDescending(i => TensorPrimitives.Dot(query, vectors[i])).Take(10).Select(i => $"v{i:D7}").ToHashSet();
                for (int o = 0; o < Options.Length; o++)
                {
                    long t = Stopwatch.GetTimestamp();
                    IReadOnlyList<SearchHit> hits = await store.SearchAsync(name, Options[o].Query(query), ct);
                    latencies[o].Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                    recall[o] += hits.Count(h => truth.Contains(h.Id)) / 10.0 / queries;
                }
            }
            return $"| {n:N0} | {d} | {(clustered ? "clustered" : "uniform")} | " +
                   string.Join(" | ", Options.Select((_, o) => $"{recall[o].ToString("F3", CultureInfo.InvariantCulture)}, {BenchCommand.Percentile(latencies[o], 50):F1}")) + " |";
        }
        finally
        {
            await store.DeleteCollectionAsync(name, ct);
        }
    }

    private static float[] Unit(Random rng, int d)
    {
        float[] v = new float[d];
        for (int i = 0; i < d; i++) v[i] = (float)(rng.NextDouble() * 2 - 1);
        VectorMath.Normalize(v);
        return v;
    }

    private static float[] Near(Random rng, float[] centre, float spread)
    {
        float[] v = Unit(rng, centre.Length);
        for (int i = 0; i < v.Length; i++) v[i] = centre[i] + spread * v[i];
        VectorMath.Normalize(v);
        return v;
    }
}
