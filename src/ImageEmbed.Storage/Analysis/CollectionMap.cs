using System.Numerics.Tensors;

namespace ImageEmbed.Storage.Analysis;

/// <summary>One item on the 2-D map: coordinates within -1..1 and its k-means cluster.</summary>
public sealed record MapPoint(string Id, float X, float Y, int Cluster);

/// <summary>
/// A 2-D map of a collection: every item placed by its first two principal components, the share of
/// the variance each axis explains, and the k-means clusters the points are coloured by.
/// </summary>
public sealed record CollectionMapResult(IReadOnlyList<MapPoint> Points, IReadOnlyList<Cluster> Clusters, float[] ExplainedVariance);

/// <summary>
/// Projects a collection onto its two main directions (PCA by power iteration on the centred vectors,
/// never forming the d×d covariance) and clusters it with <see cref="VectorAnalysis.KMeans"/>.
/// Deterministic: items are taken in id order, the start vector is fixed and each axis's sign is pinned,
/// so the same collection always draws the same map whatever order the store returns it in.
/// </summary>
public static class CollectionMap
{
    private const int MaxIterations = 100;
    private const float Tolerance = 1e-6f;

    /// <summary>The k used when none is given: about √(n/2), within 1..12, so a map shows a handful of colours.</summary>
    public static int DefaultClusters(int count) => Math.Clamp((int)Math.Round(Math.Sqrt(count / 2.0)), 1, 12);

    /// <summary>Builds the map. <paramref name="k"/> is the number of clusters (null: <see cref="DefaultClusters"/>).</summary>
    public static CollectionMapResult Build(IReadOnlyList<CollectionItem> items, int? k = null)
    {
        if (items.Count == 0) return new CollectionMapResult([], [], [0, 0]);
        CollectionItem[] sorted = items.OrderBy(i => i.Id, StringComparer.Ordinal).ToArray();
        int n = sorted.Length, d = sorted[0].Vector.Length;

        float[] mean = new float[d];
        foreach (CollectionItem item in sorted) TensorPrimitives.Add(mean, item.Vector, mean);
        TensorPrimitives.Divide(mean, n, mean);
        float[][] centred = sorted.Select(item =>
        {
            float[] c = new float[d];
            TensorPrimitives.Subtract(item.Vector, mean, c);
            return c;
        }).ToArray();
        double total = centred.Sum(c => (double)TensorPrimitives.Dot(c, c));

        float[] first = PrincipalAxis(centred, orthogonalTo: null);
        float[] second = PrincipalAxis(centred, orthogonalTo: first);
        float[] xs = centred.Select(c => TensorPrimitives.Dot(c, first)).ToArray();
        float[] ys = centred.Select(c => TensorPrimitives.Dot(c, second)).ToArray();
        float[] explained = total > 0
            ? [(float)(xs.Sum(x => (double)x * x) / total), (float)(ys.Sum(y => (double)y * y) / total)]
            : [0, 0];

        // One scale for both axes keeps distances honest (no stretching of the minor axis).
        float scale = Math.Max(TensorPrimitives.MaxMagnitude(xs), TensorPrimitives.MaxMagnitude(ys));
        if (scale > 0)
        {
            TensorPrimitives.Divide(xs, scale, xs);
            TensorPrimitives.Divide(ys, scale, ys);
        }

        List<Cluster> clusters = VectorAnalysis.KMeans(sorted, k ?? DefaultClusters(n));
        var clusterOf = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (Cluster cluster in clusters)
            foreach (string id in cluster.Items) clusterOf[id] = cluster.Index;
        MapPoint[] points = sorted.Select((item, i) => new MapPoint(item.Id, xs[i], ys[i], clusterOf[item.Id])).ToArray();
        return new CollectionMapResult(points, clusters, explained);
    }

    /// <summary>
    /// The unit direction of greatest variance of the rows (optionally within the complement of
    /// <paramref name="orthogonalTo"/>): power iteration on XᵀX applied as Xᵀ(Xv). A zero vector when
    /// there is no variance left.
    /// </summary>
    private static float[] PrincipalAxis(float[][] rows, float[]? orthogonalTo)
    {
        int d = rows[0].Length;
        // A fixed, non-degenerate start: unlikely to be orthogonal to the answer, and the same every run.
        float[] v = new float[d];
        for (int j = 0; j < d; j++) v[j] = 1f + 0.5f * MathF.Sin(j + 1);
        float[] next = new float[d];
        for (int iteration = 0; iteration < MaxIterations; iteration++)
        {
            if (orthogonalTo is not null) RemoveComponent(v, orthogonalTo);
            float norm = TensorPrimitives.Norm(v);
            if (norm == 0 || !float.IsFinite(norm)) return new float[d];
            TensorPrimitives.Divide(v, norm, v);

            Array.Clear(next);
            foreach (float[] row in rows) TensorPrimitives.MultiplyAdd(row, TensorPrimitives.Dot(row, v), next, next);
            if (orthogonalTo is not null) RemoveComponent(next, orthogonalTo);
            float nextNorm = TensorPrimitives.Norm(next);
            if (nextNorm == 0) return new float[d];
            TensorPrimitives.Divide(next, nextNorm, next);
            float change = 1 - Math.Abs(TensorPrimitives.Dot(next, v));
            (v, next) = (next, v);
            if (change < Tolerance) break;
        }
        // Pin the sign (an eigenvector's sign is arbitrary): the largest component is positive.
        if (v[TensorPrimitives.IndexOfMaxMagnitude(v)] < 0) TensorPrimitives.Negate(v, v);
        return v;
    }

    private static void RemoveComponent(float[] v, float[] unit) =>
        TensorPrimitives.MultiplyAdd(unit, -TensorPrimitives.Dot(v, unit), v, v);
}
