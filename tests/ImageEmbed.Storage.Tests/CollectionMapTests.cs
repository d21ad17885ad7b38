using ImageEmbed.Models.Embeddings;
using ImageEmbed.Storage;
using ImageEmbed.Storage.Analysis;

namespace ImageEmbed.Storage.Tests;

public sealed class CollectionMapTests
{
    private const int Dimensions = 64;

    [Fact]
    public void Build_SameItemsInAnyOrder_GivesTheSameMap()
    {
        List<CollectionItem> items = Blobs(seed: 1, perBlob: 20, blobs: 3);
        CollectionMapResult a = CollectionMap.Build(items);
        CollectionMapResult b = CollectionMap.Build(items.OrderBy(i => i.Id.GetHashCode(StringComparison.Ordinal)).Reverse().ToList());

        Assert.Equal(a.Points, b.Points);
        Assert.Equal(a.Clusters.Select(c => c.Items), b.Clusters.Select(c => c.Items));
        Assert.Equal(a.ExplainedVariance, b.ExplainedVariance);
    }

    [Fact]
    public void Build_SeparatedBlobs_StaySeparatedOnTheMapAndInClusters()
    {
        List<CollectionItem> items = Blobs(seed: 2, perBlob: 25, blobs: 3);
        CollectionMapResult map = CollectionMap.Build(items, k: 3);

        var byBlob = map.Points.GroupBy(p => p.Id[..p.Id.IndexOf('-', StringComparison.Ordinal)]).ToDictionary(g => g.Key, g => g.ToList());
        Assert.Equal(3, byBlob.Count);
        // Each blob is one cluster, and different blobs are different clusters.
        Assert.All(byBlob.Values, points => Assert.Single(points.Select(p => p.Cluster).Distinct()));
        Assert.Equal(3, byBlob.Values.Select(p => p[0].Cluster).Distinct().Count());

        // On the map, every point is nearer its own blob's centre than any other blob's centre.
        var centres = byBlob.ToDictionary(b => b.Key, b => (X: b.Value.Average(p => p.X), Y: b.Value.Average(p => p.Y)));
        foreach ((string blob, List<MapPoint> points) in byBlob)
            foreach (MapPoint p in points)
            {
                double own = Distance(p, centres[blob]);
                Assert.All(centres.Where(c => c.Key != blob), other => Assert.True(own < Distance(p, other.Value) / 2,
                    $"{p.Id} at ({p.X:F3},{p.Y:F3}) is {own:F3} from its centre but {Distance(p, other.Value):F3} from {other.Key}'s"));
            }
        Assert.All(map.Points, p => Assert.True(Math.Abs(p.X) <= 1 && Math.Abs(p.Y) <= 1));
        Assert.True(map.ExplainedVariance[0] >= map.ExplainedVariance[1]);
        Assert.True(map.ExplainedVariance.Sum() > 0.8f, $"two axes explain {map.ExplainedVariance.Sum():F3} of three tight blobs' variance");
    }

    [Fact]
    public void Build_PointsAlongOneDirection_SpreadAlongX()
    {
        var rng = new Random(3);
        float[] direction = UnitRandom(rng);
        float[] origin = UnitRandom(rng);
        var items = Enumerable.Range(0, 30).Select(i =>
        {
            float[] v = new float[Dimensions];
            for (int j = 0; j < Dimensions; j++) v[j] = origin[j] + (i - 15) * 0.1f * direction[j] + 0.002f * (float)(rng.NextDouble() - 0.5);
            return new CollectionItem($"p{i:D2}", v);
        }).ToList();

        CollectionMapResult map = CollectionMap.Build(items, k: 1);

        float xSpread = map.Points.Max(p => p.X) - map.Points.Min(p => p.X);
        float ySpread = map.Points.Max(p => p.Y) - map.Points.Min(p => p.Y);
        Assert.True(xSpread > 1.9f && ySpread < 0.05f, $"x spread {xSpread}, y spread {ySpread}");
        // Neighbours along the line stay neighbours, in order.
        float[] xs = map.Points.OrderBy(p => p.Id, StringComparer.Ordinal).Select(p => p.X).ToArray();
        Assert.True(xs.Zip(xs.Skip(1)).All(z => z.Second > z.First) || xs.Zip(xs.Skip(1)).All(z => z.Second < z.First));
    }

    [Fact]
    public void Build_EmptyAndSingleItem_GiveEmptyAndCentredMaps()
    {
        Assert.Empty(CollectionMap.Build([]).Points);
        CollectionMapResult one = CollectionMap.Build([new CollectionItem("only", UnitRandom(new Random(4)))]);
        MapPoint point = Assert.Single(one.Points);
        Assert.Equal(new MapPoint("only", 0, 0, 0), point);
    }

    private static double Distance(MapPoint p, (double X, double Y) c) => Math.Sqrt((p.X - c.X) * (p.X - c.X) + (p.Y - c.Y) * (p.Y - c.Y));

    /// <summary>Unit vectors in tight blobs around random centres (cosine to the centre about 0.98).</summary>
    private static List<CollectionItem> Blobs(int seed, int perBlob, int blobs)
    {
        var rng = new Random(seed);
        var items = new List<CollectionItem>();
        for (int b = 0; b < blobs; b++)
        {
            float[] centre = UnitRandom(rng);
            for (int i = 0; i < perBlob; i++)
            {
                float[] v = UnitRandom(rng);
                for (int j = 0; j < Dimensions; j++) v[j] = centre[j] + 0.2f * v[j];
                VectorMath.Normalize(v);
                items.Add(new CollectionItem($"b{b}-{i:D2}", v));
            }
        }
        return items;
    }

    private static float[] UnitRandom(Random rng)
    {
        float[] v = new float[Dimensions];
        for (int j = 0; j < Dimensions; j++) v[j] = (float)(rng.NextDouble() * 2 - 1);
        VectorMath.Normalize(v);
        return v;
    }
}
