using ImageEmbed.Models.Embeddings;
using ImageEmbed.Storage.Analysis;

namespace ImageEmbed.Storage.Tests;

public sealed class DuplicateFinderTests
{
    private static readonly string HashA = new('a', 64), HashB = new('b', 64);

    private static float[] Vector(params float[] values)
    {
        float[] v = [.. values];
        VectorMath.Normalize(v);
        return v;
    }

    [Fact]
    public void Classify_SameContentHash_IsExactWhateverTheOtherSignals()
    {
        var a = new CollectionItem("a", Vector(1, 0), ContentHash: HashA, PerceptualHash: 0);
        var b = new CollectionItem("b", Vector(0, 1), ContentHash: HashA, PerceptualHash: ulong.MaxValue);

        SimilarPair? pair = DuplicateFinder.Classify(b, a, new DuplicateOptions(0.9f));

        Assert.Equal(new SimilarPair("a", "b", 0f, DuplicateKind.Exact, 64), pair);
    }

    [Theory]
    [InlineData(10, DuplicateKind.Exact)]
    [InlineData(11, null)]
    public void Classify_PhashDistanceAtTheLimitIsExact_OneMoreIsNot(int bits, DuplicateKind? expected)
    {
        var a = new CollectionItem("a", Vector(1, 0), ContentHash: HashA, PerceptualHash: 0);
        var b = new CollectionItem("b", Vector(0, 1), ContentHash: HashB, PerceptualHash: (1UL << bits) - 1);

        Assert.Equal(expected, DuplicateFinder.Classify(a, b, new DuplicateOptions(0.9f, PhashDistance: 10))?.Kind);
    }

    [Fact]
    public void Classify_FarHashesButCosineAboveThreshold_IsSimilar_VectorOnlyItemsToo()
    {
        var a = new CollectionItem("a", Vector(1, 0.1f), ContentHash: HashA, PerceptualHash: 0);
        var b = new CollectionItem("b", Vector(1, 0.2f), ContentHash: HashB, PerceptualHash: ulong.MaxValue);
        var c = new CollectionItem("c", Vector(1, 0.15f));

        Assert.Equal(DuplicateKind.Similar, DuplicateFinder.Classify(a, b, new DuplicateOptions(0.99f))?.Kind);
        SimilarPair? vectorOnly = DuplicateFinder.Classify(a, c, new DuplicateOptions(0.99f));
        Assert.Equal((DuplicateKind.Similar, (int?)null), (vectorOnly?.Kind, vectorOnly?.PhashDistance));
        Assert.Null(DuplicateFinder.Classify(a, b, new DuplicateOptions(0.99f, Kinds: DuplicateKinds.Exact)));
    }

    [Fact]
    public void Find_GroupsTransitivelyAcrossKinds_AndFiltersByKind()
    {
        // x ~exact~ y ~similar~ z; w unrelated.
        CollectionItem[] items =
        [
            new("x", Vector(1, 0, 0), ContentHash: HashA, PerceptualHash: 0),
            new("y", Vector(0.9f, 0.1f, 0), ContentHash: HashB, PerceptualHash: 1),
            new("z", Vector(0.8f, 0.2f, 0), PerceptualHash: ulong.MaxValue),
            new("w", Vector(0, 0, 1), PerceptualHash: 0xFFFF_FFFF_0000_0000UL),
        ];
        float yz = DuplicateFinder.Classify(items[1], items[2], new DuplicateOptions(0f))!.Score;
        float xz = DuplicateFinder.Classify(items[0], items[2], new DuplicateOptions(0f))!.Score;
        var options = new DuplicateOptions((yz + xz) / 2); // y-z linked, x-z not

        DuplicateGroup all = Assert.Single(DuplicateFinder.Find(items, options));
        DuplicateGroup exact = Assert.Single(DuplicateFinder.Find(items, options with { Kinds = DuplicateKinds.Exact }));
        DuplicateGroup similar = Assert.Single(DuplicateFinder.Find(items, options with { Kinds = DuplicateKinds.Similar }));

        Assert.Equal(["x", "y", "z"], all.Items);
        Assert.Equal([("x", "y", DuplicateKind.Exact), ("y", "z", DuplicateKind.Similar)], all.Pairs.Select(p => (p.A, p.B, p.Kind)));
        Assert.Equal(["x", "y"], exact.Items);
        Assert.Equal(["y", "z"], similar.Items);
    }

    [Fact]
    public void Find_PhashDistanceOutOfRange_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => DuplicateFinder.Find([], new DuplicateOptions(0.9f, PhashDistance: 65)));
}
