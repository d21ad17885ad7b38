using System.Diagnostics;
using ImageEmbed.Models.Embeddings;
using ImageEmbed.Storage;
using ImageEmbed.Storage.Embedded;

namespace ImageEmbed.Cli.Commands;

/// <summary>
/// Benchmarks of the embedded store on random unit vectors: durable upsert throughput (SQLite, WAL,
/// synchronous=FULL, batches of 1000), memory held per million vectors, and exact top-10 search latency.
/// </summary>
internal static class StoreBench
{
    public static async Task<List<string>> RunAsync(int[] sizes, int[] dimensions, int queries, CancellationToken ct)
    {
        var rows = new List<string>
        {
            "| vectors | dims | upsert (vectors/s, durable) | memory (MB per 1M vectors) | search top-10 p50 / p99 (ms) |",
            "|---|---|---|---|---|",
        };
        foreach (int d in dimensions)
        {
            foreach (int n in sizes)
            {
                Console.Error.WriteLine($"bench: store, {n:N0} x {d}");
                string dir = Directory.CreateTempSubdirectory("imageembed-storebench-").FullName;
                try
                {
                    rows.Add(await MeasureAsync(dir, n, d, queries, ct));
                }
                finally
                {
                    Directory.Delete(dir, recursive: true);
                }
            }
        }
        return rows;
    }

    private static async Task<string> MeasureAsync(string dir, int n, int d, int queries, CancellationToken ct)
    {
        var rng = new Random(42);
        long before = Settled();
        await using EmbeddedStore store = await EmbeddedStore.OpenAsync(dir, ct);
        await store.CreateCollectionAsync("bench", "random", d, ct);
        var clock = Stopwatch.StartNew();
        const int batch = 1000;
        for (int start = 0; start < n; start += batch)
        {
            int count = Math.Min(batch, n - start);
            var items = new CollectionItem[count];
            for (int i = 0; i < count; i++) items[i] = new CollectionItem($"v{start + i:D7}", Unit(rng, d));
            await store.UpsertAsync("bench", items, ct);
        }
        double upsertRate = n / clock.Elapsed.TotalSeconds;
        long held = Settled() - before;

        var latencies = new List<double>();
        for (int q = 0; q < queries + 3; q++)
        {
            float[] query = Unit(rng, d);
            long t = Stopwatch.GetTimestamp();
            await store.SearchAsync("bench", new SearchQuery(query, 10), ct);
            if (q >= 3) latencies.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds); // the first few warm caches
        }
        return $"| {n:N0} | {d} | {upsertRate:N0} | {held / 1048576.0 * 1_000_000 / n:N0} | {BenchCommand.Percentile(latencies, 50):F1} / {BenchCommand.Percentile(latencies, 99):F1} |";
    }

    private static float[] Unit(Random rng, int d)
    {
        float[] v = new float[d];
        for (int i = 0; i < d; i++) v[i] = (float)(rng.NextDouble() * 2 - 1);
        VectorMath.Normalize(v);
        return v;
    }

    private static long Settled()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
