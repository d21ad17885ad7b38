namespace ImageEmbed.Imaging.Tests;

/// <summary>How far apart two decodes of the same size are, in 8-bit levels.</summary>
internal static class PixelDifference
{
    public static (double Mean, int Max) Of(byte[] a, byte[] b)
    {
        Assert.Equal(a.Length, b.Length);
        long sum = 0;
        int max = 0;
        for (int i = 0; i < a.Length; i++)
        {
            int d = Math.Abs(a[i] - b[i]);
            sum += d;
            max = Math.Max(max, d);
        }
        return ((double)sum / a.Length, max);
    }
}
