using ImageEmbed.Imaging.Fingerprint;

namespace ImageEmbed.Imaging.Tests;

public sealed class PerceptualHashTests
{
    [Fact]
    public void Compute_UniformImage_OnlyTheDcBitIsSet()
    {
        // Every AC coefficient of a flat image is 0, so the median is 0 and only the (positive) DC term is above it.
        byte[] flat = Enumerable.Repeat((byte)128, 1024).ToArray();

        Assert.Equal(0x8000_0000_0000_0000UL, PerceptualHash.Compute(flat));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Compute_RandomImages_MatchesDirectDoublePrecisionDct(int seed)
    {
        byte[] gray = new byte[1024];
        // Smooth random content (sums of a few waves), as photos are: white noise has near-ties at the median.
        var rng = new Random(seed);
        double[] a = Enumerable.Range(0, 6).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        for (int y = 0; y < 32; y++)
            for (int x = 0; x < 32; x++)
                gray[y * 32 + x] = (byte)Math.Clamp(128 + 40 * (a[0] * Math.Sin(x * 0.2 + a[1] * 3) + a[2] * Math.Cos(y * 0.3 + a[3]) + a[4] * Math.Sin((x + y) * 0.15 + a[5])), 0, 255);

        Assert.Equal(ReferenceHash(gray), PerceptualHash.Compute(gray));
    }

    [Fact]
    public void Compute_MirroredImage_IsFarFromOriginal()
    {
        byte[] gray = new byte[1024], mirrored = new byte[1024];
        for (int y = 0; y < 32; y++)
            for (int x = 0; x < 32; x++)
                gray[y * 32 + x] = (byte)(x < 10 ? 230 : x < 20 ? 40 + y * 4 : 120);
        for (int y = 0; y < 32; y++)
            for (int x = 0; x < 32; x++)
                mirrored[y * 32 + x] = gray[y * 32 + 31 - x];

        Assert.Equal(0, PerceptualHash.Distance(PerceptualHash.Compute(gray), PerceptualHash.Compute(gray.ToArray())));
        Assert.True(PerceptualHash.Distance(PerceptualHash.Compute(gray), PerceptualHash.Compute(mirrored)) >= 16);
    }

    [Fact]
    public void Compute_WrongSize_Throws() =>
        Assert.Throws<ArgumentException>(() => PerceptualHash.Compute(new byte[1000]));

    [Fact]
    public void Distance_CountsDifferingBits()
    {
        Assert.Equal(0, PerceptualHash.Distance(0x1234UL, 0x1234UL));
        Assert.Equal(64, PerceptualHash.Distance(0UL, ulong.MaxValue));
        Assert.Equal(3, PerceptualHash.Distance(0b1011UL, 0b0000_0001UL << 8 | 0b0001UL));
    }

    [Fact]
    public void Hex_RoundTripsAndRefusesOtherForms()
    {
        Assert.Equal("00000000000000ff", PerceptualHash.ToHex(255));
        Assert.True(PerceptualHash.TryParseHex("8000000000000001", out ulong h));
        Assert.Equal(0x8000_0000_0000_0001UL, h);
        Assert.False(PerceptualHash.TryParseHex("ff", out _));
        Assert.False(PerceptualHash.TryParseHex("zz00000000000000", out _));
    }

    /// <summary>The textbook definition, term by term in doubles: F(u,v) = c(u) c(v) Σx Σy f(x,y) cos((2x+1)uπ/64) cos((2y+1)vπ/64).</summary>
    private static ulong ReferenceHash(byte[] gray)
    {
        double[] f = new double[64];
        for (int v = 0; v < 8; v++)
            for (int u = 0; u < 8; u++)
            {
                double sum = 0;
                for (int y = 0; y < 32; y++)
                    for (int x = 0; x < 32; x++)
                        sum += gray[y * 32 + x] * Math.Cos((2 * x + 1) * u * Math.PI / 64) * Math.Cos((2 * y + 1) * v * Math.PI / 64);
                f[v * 8 + u] = sum * (u == 0 ? Math.Sqrt(1.0 / 32) : Math.Sqrt(2.0 / 32)) * (v == 0 ? Math.Sqrt(1.0 / 32) : Math.Sqrt(2.0 / 32));
            }
        double median = f.Skip(1).Order().ElementAt(31);
        ulong hash = 0;
        for (int i = 0; i < 64; i++)
            if (f[i] > median) hash |= 1UL << (63 - i);
        return hash;
    }
}
