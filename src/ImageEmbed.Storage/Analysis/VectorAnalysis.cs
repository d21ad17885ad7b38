using System.Numerics.Tensors;
using ImageEmbed.Models.Embeddings;

namespace ImageEmbed.Storage.Analysis;

/// <summary>A cluster: its members (sorted) and, for k-means, how tight it is (mean similarity to the centroid).</summary>
public sealed record Cluster(int Index, IReadOnlyList<string> Items, float Cohesion);

/// <summary>
/// Recommend and clusters over any store's vectors (duplicates: <see cref="DuplicateFinder"/>) (unit length, so cosine = dot).
/// Exact and O(n²) for the pairwise ones: fine for the tens of thousands of items one request handles.
/// </summary>
public static class VectorAnalysis
{
    /// <summary>
    /// The query for "more like these, less like those": 2·mean(positive) − mean(negative) when there are
    /// negatives (the average-vector strategy vector databases use), else mean(positive); normalized.
    /// </summary>
    public static float[] RecommendationQuery(IReadOnlyList<float[]> positive, IReadOnlyList<float[]> negative)
    {
        if (positive.Count == 0) throw new ArgumentException("At least one positive example is needed.", nameof(positive));
        int d = positive[0].Length;
        float[] query = Mean(positive, d);
        if (negative.Count > 0)
        {
            TensorPrimitives.Multiply(query, 2f, query);
            TensorPrimitives.Subtract(query, Mean(negative, d), query);
        }
        VectorMath.Normalize(query);
        return query;
    }

    /// <summary>Connected groups at similarity ≥ <paramref name="threshold"/> (singletons included), largest first.</summary>
    public static List<Cluster> ThresholdClusters(IReadOnlyList<CollectionItem> items, float threshold)
    {
        var components = Components(items.Count, LinkedPairs(items, threshold));
        return components
            .Select(c => c.Select(i => items[i].Id).Order(StringComparer.Ordinal).ToList())
            .OrderByDescending(c => c.Count).ThenBy(c => c[0], StringComparer.Ordinal)
            .Select((members, index) => new Cluster(index, members, Cohesion(items, members)))
            .ToList();
    }

    /// <summary>
    /// Spherical k-means: deterministic (k-means++ seeding from a fixed seed over items in id order),
    /// at most 50 rounds. Clusters are numbered largest first.
    /// </summary>
    public static List<Cluster> KMeans(IReadOnlyList<CollectionItem> items, int k)
    {
        if (items.Count == 0) return [];
        k = Math.Min(k, items.Count);
        CollectionItem[] sorted = items.OrderBy(i => i.Id, StringComparer.Ordinal).ToArray();
        int d = sorted[0].Vector.Length;
        var rng = new Random(12345);
        var centroids = new List<float[]> { (float[])sorted[rng.Next(sorted.Length)].Vector.Clone() };
        while (centroids.Count < k)
        {
            double[] weights = sorted.Select(item => { double best = centroids.Max(c => TensorPrimitives.Dot(item.Vector, c)); return Math.Max(0, 1 - best); }).ToArray();
            double total = weights.Sum();
            int next = total <= 0 ? centroids.Count : Pick(weights, rng.NextDouble() * total);
            centroids.Add((float[])sorted[next].Vector.Clone());
        }

        int[] assignment = new int[sorted.Length];
        for (int round = 0; round < 50; round++)
        {
            bool changed = round == 0;
            for (int i = 0; i < sorted.Length; i++)
            {
                int best = 0;
                float bestScore = float.NegativeInfinity;
                for (int c = 0; c < centroids.Count; c++)
                {
                    float s = TensorPrimitives.Dot(sorted[i].Vector, centroids[c]);
                    if (s > bestScore) (best, bestScore) = (c, s);
                }
                if (assignment[i] != best) { assignment[i] = best; changed = true; }
            }
            if (!changed) break;
            for (int c = 0; c < centroids.Count; c++)
            {
                float[][] members = sorted.Where((_, i) => assignment[i] == c).Select(m => m.Vector).ToArray();
                if (members.Length == 0) continue;
                centroids[c] = Mean(members, d);
                VectorMath.Normalize(centroids[c]);
            }
        }
        return Enumerable.Range(0, centroids.Count)
            .Select(c => sorted.Where((_, i) => assignment[i] == c).Select(m => m.Id).ToList())
            .Where(m => m.Count > 0)
            .OrderByDescending(m => m.Count).ThenBy(m => m[0], StringComparer.Ordinal)
            .Select((members, index) => new Cluster(index, members, Cohesion(items, members)))
            .ToList();
    }

    private static List<(int A, int B, float Score)> LinkedPairs(IReadOnlyList<CollectionItem> items, float threshold)
    {
        var pairs = new List<(int, int, float)>();
        for (int a = 0; a < items.Count; a++)
            for (int b = a + 1; b < items.Count; b++)
            {
                float score = TensorPrimitives.Dot(items[a].Vector, items[b].Vector);
                if (score >= threshold) pairs.Add((a, b, score));
            }
        return pairs;
    }

    internal static List<List<int>> Components(int count, List<(int A, int B, float Score)> pairs)
    {
        int[] parent = Enumerable.Range(0, count).ToArray();
        int Root(int x) { while (parent[x] != x) x = parent[x] = parent[parent[x]]; return x; }
        foreach ((int a, int b, _) in pairs) parent[Root(a)] = Root(b);
        return Enumerable.Range(0, count).GroupBy(Root).Select(g => g.ToList()).ToList();
    }

    private static float Cohesion(IReadOnlyList<CollectionItem> items, List<string> members)
    {
        var set = members.ToHashSet(StringComparer.Ordinal);
        float[][] vectors = items.Where(i => set.Contains(i.Id)).Select(i => i.Vector).ToArray();
        float[] centroid = Mean(vectors, vectors[0].Length);
        VectorMath.Normalize(centroid);
        return vectors.Average(v => TensorPrimitives.Dot(v, centroid));
    }

    private static float[] Mean(IReadOnlyList<float[]> vectors, int d)
    {
        float[] sum = new float[d];
        foreach (float[] v in vectors) TensorPrimitives.Add(sum, v, sum);
        TensorPrimitives.Divide(sum, vectors.Count, sum);
        return sum;
    }

    private static int Pick(double[] weights, double target)
    {
        for (int i = 0; i < weights.Length; i++)
        {
            target -= weights[i];
            if (target <= 0) return i;
        }
        return weights.Length - 1;
    }
}
