using ImageEmbed.Imaging;
using ImageEmbed.Models.Embeddings;
using ImageEmbed.Tests;
using Xunit.Abstractions;

namespace ImageEmbed.Models.Tests;

public sealed class EmbeddingEncodingTests(ITestOutputHelper output)
{
    [Fact]
    public void Int8_LargestComponentIsPlusOrMinus127_UInt8IsOffsetBy128()
    {
        float[] v = [0.5f, -0.25f, 0.0f, -0.8f, 0.1f];
        sbyte[] q = EmbeddingEncodings.ToInt8(v);
        Assert.Equal([79, -40, 0, -127, 16], q.Select(x => (int)x));
        Assert.Equal(q.Select(x => x + 128), EmbeddingEncodings.ToUInt8(v).Select(x => (int)x));
    }

    [Fact]
    public void Binary_SignBitsPackedMsbFirst_BinaryIsUBinaryMinus128()
    {
        float[] v = [0.1f, -0.1f, 0.2f, 0.3f, -0.4f, 0f, 0.5f, -0.6f, 0.7f, 0.8f];
        byte[] bits = EmbeddingEncodings.ToUBinary(v);
        Assert.Equal([0b1011_0010, 0b1100_0000], bits);
        Assert.Equal(bits.Select(b => b - 128), EmbeddingEncodings.ToBinary(v).Select(x => (int)x));
    }

    [Fact]
    public async Task Int8AndBinary_RankingOnDevPhotos_RecallAt10AgainstFloat()
    {
        await using EmbeddingEngine engine = EngineFactory.Create();
        var vectors = new List<float[]>();
        foreach (string file in TestPaths.DevFiles()) vectors.Add((await engine.EmbedImageAsync(File.ReadAllBytes(file), null).DefaultTimeout()).Vector);
        float[][] int8 = vectors.Select(v => EmbeddingEncodings.ToInt8(v).Select(x => (float)x).ToArray()).ToArray();
        byte[][] bits = vectors.Select(v => EmbeddingEncodings.ToUBinary(v)).ToArray();

        double int8Recall = 0, binaryRecall = 0;
        for (int q = 0; q < vectors.Count; q++)
        {
            int[] others = Enumerable.Range(0, vectors.Count).Where(i => i != q).ToArray();
            var exact = others.OrderByDescending(i => VectorMath.Cosine(vectors[q], vectors[i])).Take(10).ToHashSet();
            var byInt8 = others.OrderByDescending(i => VectorMath.Cosine(int8[q], int8[i])).Take(10);
            var byHamming = others.OrderBy(i => Hamming(bits[q], bits[i])).ThenBy(i => i).Take(10);
            int8Recall += byInt8.Count(exact.Contains) / 10.0;
            binaryRecall += byHamming.Count(exact.Contains) / 10.0;
        }
        int8Recall /= vectors.Count;
        binaryRecall /= vectors.Count;
        output.WriteLine($"recall@10 vs float over the 100 dev photos: int8 {int8Recall:F4}, binary (Hamming) {binaryRecall:F4}");
        Assert.True(int8Recall >= 0.99, $"int8 recall@10 {int8Recall:F4}");
        Assert.True(binaryRecall > 0.5, $"binary recall@10 {binaryRecall:F4}");
    }

    private static int Hamming(byte[] a, byte[] b)
    {
        int d = 0;
        for (int i = 0; i < a.Length; i++) d += System.Numerics.BitOperations.PopCount((uint)(a[i] ^ b[i]));
        return d;
    }
}
