using System.Diagnostics;
using ImageEmbed.Models.Embeddings;
using ImageEmbed.Storage;
using ImageEmbed.Storage.Analysis;

namespace ImageEmbed.Cli.Commands;

/// <summary>
/// Benchmark of the collection map (<c>POST /v1/collections/{name}/map</c>): PCA to 2-D plus k-means
/// with the default k, on random unit vectors around 20 centres (clustered, like real photo collections).
/// </summary>
internal static class MapBench
{
    public static List<string> Run(int[] sizes, int[] dimensions)
    {
        var rows = new List<string>
        {
            "| vectors | dims | clusters (default k) | map: PCA + k-means (ms, best of 3) |",
            "|---|---|---|---|",
        };
        foreach (int d in dimensions)
            foreach (int n in sizes)
            {
                Console.Error.WriteLine($"bench: map, {n:N0} x {d}");
                List<CollectionItem> items = Clustered(n, d, centres: 20);
                double best = double.MaxValue;
                for (int run = 0; run < 3; run++)
                {
                    long start = Stopwatch.GetTimestamp();
                    CollectionMap.Build(items);
                    best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                }
                rows.Add($"| {n:N0} | {d} | {CollectionMap.DefaultClusters(n)} | {best:F0} |");
            }
        return rows;
    }

    private static List<CollectionItem> Clustered(int n, int d, int centres)
    {
        var rng = new Random(42);
        float[][] centre = Enumerable.Range(0, centres).Select(_ => Unit(rng, d)).ToArray();
        return Enumerable.Range(0, n).Select(i =>
        {
            float[] v = Unit(rng, d);
            float[] c = centre[i % centres];
            for (int j = 0; j < d; j++) v[j] = c[j] + 0.5f * v[j];
            VectorMath.Normalize(v);
            return new CollectionItem($"item-{i:D7}", v);
        }).ToList();
    }

    private static float[] Unit(Random rng, int d)
    {
        float[] v = new float[d];
        for (int j = 0; j < d; j++) v[j] = (float)(rng.NextDouble() * 2 - 1);
        VectorMath.Normalize(v);
        return v;
    }
}
