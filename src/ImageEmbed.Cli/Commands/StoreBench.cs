using System.Diagnostics;
using ImageEmbed.Models.Embeddings;
using ImageEmbed.Storage;
using ImageEmbed.Cli.Infrastructure;
using ImageEmbed.Storage.Embedded;

namespace ImageEmbed.Cli.Commands;

/// <summary>
/// Benchmarks of the embedded store on random unit vectors: durable upsert throughput (SQLite, WAL,
/// synchronous=FULL, batches of 1000), memory held per million vectors, and exact top-10 search latency.
/// </summary>
internal static class StoreBench
{
    public static async Task<List<string>> RunAsync(int[] sizes, int[] dimensions, int queries, bool int8, CancellationToken ct)
    {
        var rows = new List<string>
        {
            "| layout | vectors | dims | upsert (vectors/s, durable) | memory (MB per 1M vectors) | search top-10 p50 / p99 (ms) | recall@10 vs exact |",
            "|---|---|---|---|---|---|---|",
        };
        foreach (int d in dimensions)
        {
            foreach (int n in sizes)
            {
                Console.Error.WriteLine($"bench: store, {n:N0} x {d}");
                string dir = Directory.CreateTempSubdirectory("imageembed-storebench-").FullName;
                try
                {
                    rows.Add(await MeasureAsync(dir, n, d, queries, int8, ct));
                }
                finally
                {
                    Directory.Delete(dir, recursive: true);
                }
            }
        }
        return rows;
    }

    private static async Task<string> MeasureAsync(string dir, int n, int d, int queries, bool int8, CancellationToken ct)
    {
        var rng = new Random(42);
        // The int8 run keeps the floats here to compute the exact answer; they are not the store's memory.
        float[]? all = int8 ? new float[(long)n * d <= int.MaxValue ? n * d : throw new UsageException("--int8 recall needs n x d below 2^31.")] : null;
        await using EmbeddedStore store = await EmbeddedStore.OpenAsync(dir, int8, ct);
        await store.CreateCollectionAsync("bench", "random", d, ct: ct);
        var clock = Stopwatch.StartNew();
        const int batch = 1000;
        for (int start = 0; start < n; start += batch)
        {
            int count = Math.Min(batch, n - start);
            var items = new CollectionItem[count];
            for (int i = 0; i < count; i++)
            {
                items[i] = new CollectionItem($"v{start + i:D7}", Unit(rng, d));
                if (all is not null) items[i].Vector.CopyTo(all.AsSpan((start + i) * d));
            }
            await store.UpsertAsync("bench", items, ct);
        }
        double upsertRate = n / clock.Elapsed.TotalSeconds;

        var latencies = new List<double>();
        double recall = 0;
        for (int q = 0; q < queries + 3; q++)
        {
            float[] query = Unit(rng, d);
            long t = Stopwatch.GetTimestamp();
            IReadOnlyList<SearchHit> hits = await store.SearchAsync("bench", new SearchQuery(query, 10), ct);
            if (q < 3) continue; // the first few warm caches
            latencies.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
            if (all is not null)
            {
                HashSet<string> exact = ExactTop10(all, n, d, query);
                recall += hits.Count(h => exact.Contains(h.Id)) / 10.0 / queries;
            }
        }
        // The collection's memory: what dropping it frees (leftovers of earlier runs cancel out).
        long with = Settled();
        await store.DeleteCollectionAsync("bench", ct);
        long held = with - Settled();
        GC.KeepAlive(all);
        return $"| {(int8 ? "int8" : "float32")} | {n:N0} | {d} | {upsertRate:N0} | {held / 1048576.0 * 1_000_000 / n:N0} | {BenchCommand.Percentile(latencies, 50):F1} / {BenchCommand.Percentile(latencies, 99):F1} | {(int8 ? recall.ToString("F4", System.Globalization.CultureInfo.InvariantCulture) : "1 (exact)")} |";
    }

    private static HashSet<string> ExactTop10(float[] all, int n, int d, float[] query)
    {
        var heap = new PriorityQueue<int, float>();
        for (int i = 0; i < n; i++)
        {
            float s = System.Numerics.Tensors.TensorPrimitives.Dot(query, all.AsSpan(i * d, d));
            if (heap.Count < 10) heap.Enqueue(i, s);
            else if (heap.TryPeek(out _, out float worst) && s > worst) heap.EnqueueDequeue(i, s);
        }
        var ids = new HashSet<string>(StringComparer.Ordinal);
        while (heap.TryDequeue(out int i, out _)) ids.Add($"v{i:D7}");
        return ids;
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
