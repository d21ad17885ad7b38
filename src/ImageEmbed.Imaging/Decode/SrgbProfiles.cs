using System.Collections.Concurrent;
using System.Security.Cryptography;
using ImageEmbed.Imaging.Vips;
using Enums = NetVips.Enums;

namespace ImageEmbed.Imaging.Decode;

/// <summary>
/// Remembers which embedded ICC profiles are sRGB already. Most profiled photos carry a copy of
/// "sRGB IEC61966-2.1" (17 of the 23 profiled dev photos); transforming through it moves no pixel by more
/// than one level, but libvips builds a new colour transform for every image, 2–4 ms each — more than
/// the rest of decoding a typical photo. Each distinct profile is tested once, on a colour cube, and
/// skipped from then on when the round trip is within one level.
/// </summary>
internal static class SrgbProfiles
{
    private const string Field = "icc-profile-data";
    private const int MaxRemembered = 1024;
    private const int CubeLevels = 16, CubeSide = 64; // 16³ = 4096 colours = 64 × 64 pixels

    private static readonly ConcurrentDictionary<UInt128, bool> s_verdicts = new();
    private static readonly byte[] s_cube = MakeCube();

    /// <summary>True when <paramref name="image"/>'s embedded profile maps every colour to itself within one level.</summary>
    public static bool IsSrgb(VipsImage image)
    {
        if (image.IsCmyk || image.Bands is not (3 or 4)) return false;
        byte[]? profile = image.GetBlob(Field);
        if (profile is null) return false;
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(profile, digest);
        var key = new UInt128(BitConverter.ToUInt64(digest), BitConverter.ToUInt64(digest[8..]));
        if (s_verdicts.TryGetValue(key, out bool known)) return known;
        bool verdict = RoundTripsUnchanged(profile);
        // Bounded: a stream of made-up profiles must not grow memory; past the bound they are tested each time.
        if (s_verdicts.Count < MaxRemembered) s_verdicts.TryAdd(key, verdict);
        return verdict;
    }

    private static bool RoundTripsUnchanged(byte[] profile)
    {
        try
        {
            using VipsImage bare = VipsImage.FromPixels(s_cube, CubeSide, CubeSide, 3);
            using VipsImage cube = bare.WithBlob(Field, profile);
            using VipsImage transformed = cube.IccTransform("srgb", Enums.Intent.Perceptual, depth: 8);
            byte[] result = new byte[s_cube.Length];
            if (transformed.Bands != 3 || transformed.WriteToMemory(result) != result.Length) return false;
            for (int i = 0; i < result.Length; i++)
                if (Math.Abs(result[i] - s_cube[i]) > 1) return false;
            return true;
        }
        catch (VipsException)
        {
            return false; // not an RGB profile, or a broken one: the decoder's own path decides what to do
        }
    }

    private static byte[] MakeCube()
    {
        byte[] cube = new byte[CubeSide * CubeSide * 3];
        const int step = 255 / (CubeLevels - 1);
        for (int i = 0, p = 0; i < CubeLevels * CubeLevels * CubeLevels; i++, p += 3)
        {
            cube[p] = (byte)(i % CubeLevels * step);
            cube[p + 1] = (byte)(i / CubeLevels % CubeLevels * step);
            cube[p + 2] = (byte)(i / (CubeLevels * CubeLevels) * step);
        }
        return cube;
    }
}
