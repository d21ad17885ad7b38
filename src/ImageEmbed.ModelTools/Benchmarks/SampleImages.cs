using ImageEmbed.Imaging.Vips;

namespace ImageEmbed.ModelTools.Benchmarks;

/// <summary>
/// A small deterministic set of synthetic photos-in-spirit (gradients, stripes, checkerboards, discs,
/// seeded noise), encoded as PNG so that they go through the real decode path. For checks that need
/// images but must not depend on any files being present (the quantizer's parity check).
/// </summary>
public static class SampleImages
{
    public const int Count = 16;
    private const int Size = 256;

    public static List<byte[]> Create()
    {
        var images = new List<byte[]>(Count);
        var rng = new Random(2024);
        byte[] pixels = new byte[Size * Size * 3];
        for (int n = 0; n < Count; n++)
        {
            // Two random colours and a pattern per image; noise on top keeps the features from being trivial.
            Span<double> a = [rng.NextDouble(), rng.NextDouble(), rng.NextDouble()];
            Span<double> b = [rng.NextDouble(), rng.NextDouble(), rng.NextDouble()];
            double angle = rng.NextDouble() * Math.PI, period = 8 + rng.Next(56), noise = 0.05 + 0.25 * rng.NextDouble();
            double cx = Size * rng.NextDouble(), cy = Size * rng.NextDouble(), radius = Size * (0.15 + 0.35 * rng.NextDouble());
            int pattern = n % 4;
            for (int y = 0; y < Size; y++)
            {
                for (int x = 0; x < Size; x++)
                {
                    double u = (x * Math.Cos(angle) + y * Math.Sin(angle)) / Size;
                    double t = pattern switch
                    {
                        0 => Math.Clamp(u, 0, 1),                                                     // gradient
                        1 => Math.Sin(2 * Math.PI * u * Size / period) > 0 ? 1 : 0,                   // stripes
                        2 => ((int)(x / period) + (int)(y / period)) % 2,                              // checkerboard
                        _ => Math.Sqrt((x - cx) * (x - cx) + (y - cy) * (y - cy)) < radius ? 1 : 0.2 * u, // a disc
                    };
                    for (int c = 0; c < 3; c++)
                    {
                        double v = a[c] * (1 - t) + b[c] * t + noise * (rng.NextDouble() - 0.5);
                        pixels[(y * Size + x) * 3 + c] = (byte)Math.Clamp(v * 255, 0, 255);
                    }
                }
            }
            using VipsImage image = VipsImage.FromPixels(pixels, Size, Size, 3);
            images.Add(image.WriteToBuffer(".png"));
        }
        return images;
    }
}
